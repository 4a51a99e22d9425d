/// Central finite differences in double precision, the independent reference for every backward pass.
public enum FiniteDifference {
    /// ∂f/∂x_i for every i, by `(f(x + h·e_i) − f(x − h·e_i)) / 2h`.
    public static func gradient(of f: ([Double]) -> Double, at x: [Double], step h: Double = 1e-5) -> [Double] {
        var x = x
        var grad = [Double](repeating: 0, count: x.count)
        for i in x.indices {
            let saved = x[i]
            x[i] = saved + h
            let plus = f(x)
            x[i] = saved - h
            let minus = f(x)
            x[i] = saved
            grad[i] = (plus - minus) / (2 * h)
        }
        return grad
    }

    /// Largest `|a − b| / max(1, |b|)` over paired elements: a mixed absolute/relative error.
    public static func maxError(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "length mismatch \(a.count) vs \(b.count)")
        var worst = 0.0
        for (x, y) in zip(a, b) {
            worst = max(worst, abs(x - y) / max(1, abs(y)))
        }
        return worst
    }
}
