/// High-entropy clipping (docs/algorithm.md §10.2): per step, the share of tokens clipped on the high side in each entropy
/// quartile of the step's trained tokens (quartile 1 = lowest entropy).
public struct EntropyClipping: Equatable, Sendable {
    public var steps: [Int]
    /// `shares[i][q]`: step `steps[i]`, quartile `q + 1`.
    public var shares: [[Double]]

    /// Steps that log all four quartile shares.
    public init(_ records: [MetricsRecord], phase: String = "rl") {
        var steps: [Int] = []
        var shares: [[Double]] = []
        for record in records where record.phase == phase {
            let quartiles = (1...4).compactMap { record.values[MetricKey.clipHigh(quartile: $0)] }
            if quartiles.count == 4 {
                steps.append(record.step)
                shares.append(quartiles)
            }
        }
        self.steps = steps
        self.shares = shares
    }

    /// Mean over steps of each quartile's share.
    public var meanShares: [Double] {
        guard !shares.isEmpty else { return [0, 0, 0, 0] }
        return (0..<4).map { q in shares.reduce(0) { $0 + $1[q] } / Double(shares.count) }
    }
}
