import Foundation

/// Mean and 95 % confidence half-width over seeds: `t₀.₉₇₅(n−1) · s / √n` with the sample standard deviation s
/// (Student's t, two-sided).
public struct SeedStatistics: Equatable, Sendable {
    public var mean: Double
    /// 0 for a single seed (no spread to estimate).
    public var halfWidth: Double
    public var seeds: Int

    /// `t₀.₉₇₅` for 1…30 degrees of freedom; 1.96 beyond.
    static let tQuantiles975: [Double] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ]
    /// `t₀.₈₀` for 1…30 degrees of freedom; 0.842 beyond (the power term of a detectable difference).
    static let tQuantiles80: [Double] = [
        1.376, 1.061, 0.978, 0.941, 0.920, 0.906, 0.896, 0.889, 0.883, 0.879,
        0.876, 0.873, 0.870, 0.868, 0.866, 0.865, 0.863, 0.862, 0.861, 0.860,
        0.859, 0.858, 0.858, 0.857, 0.856, 0.856, 0.855, 0.855, 0.854, 0.854,
    ]

    /// Student's t quantile for `degrees` ≥ 1 degrees of freedom from `table` (`normal` beyond it).
    static func quantile(_ table: [Double], normal: Double, degrees: Int) -> Double {
        degrees <= table.count ? table[degrees - 1] : normal
    }

    public init(_ values: [Double]) {
        seeds = values.count
        let mean = values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
        self.mean = mean
        guard values.count > 1 else { halfWidth = 0; return }
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        halfWidth = Self.quantile(Self.tQuantiles975, normal: 1.96, degrees: values.count - 1) * variance.squareRoot()
            / Double(values.count).squareRoot()
    }

    /// Whether the values spread at all (below 1e-9 counts as none). Pass@k moves on a grid (1/200 for 50 questions
    /// × 4 runs), so a few seeds can give the same value, or the same paired difference, every time: the t-interval
    /// then has width 0, which says nothing about the spread the design would show on more seeds.
    public var hasSpread: Bool { seeds > 1 && halfWidth > 1e-9 }

    /// Whether the 95 % interval excludes 0 (the two-sided one-sample t-test at 5 %); never with one seed or without
    /// a spread (`hasSpread`).
    public var excludesZero: Bool { hasSpread && abs(mean) > halfWidth }

    /// The smallest true mean this design detects with 80 % power in a two-sided test at 5 %:
    /// `(t₀.₉₇₅(n−1) + t₀.₈₀(n−1)) · s / √n`; `nil` with one seed or without a spread.
    public var minimumDetectable: Double? {
        guard hasSpread else { return nil }
        let df = seeds - 1
        return halfWidth * (1 + Self.quantile(Self.tQuantiles80, normal: 0.842, degrees: df)
            / Self.quantile(Self.tQuantiles975, normal: 1.96, degrees: df))
    }

    /// `mean ± half-width` in percent with one decimal (just the mean for one seed).
    public var percent: String {
        seeds > 1 ? "\(TextTable.percent(mean)) ± \(TextTable.percent(halfWidth))" : TextTable.percent(mean)
    }

    /// `+mean ± half-width` in percentage points, signed, for differences.
    public var signedPoints: String {
        let sign = mean > 0 ? "+" : mean < 0 ? "−" : "±"
        let value = "\(sign)\(TextTable.percent(abs(mean)))"
        return seeds > 1 ? "\(value) ± \(TextTable.percent(halfWidth))" : value
    }
}
