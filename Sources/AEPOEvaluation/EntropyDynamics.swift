/// Mean entropy of the trained tokens per step (docs/algorithm.md §10.2), with its largest step-to-step change,
/// which tells a stable curve from a collapse or a spike.
public struct EntropyDynamics: Equatable, Sendable {
    public var steps: [Int]
    public var entropy: [Double]

    public init(_ records: [MetricsRecord], phase: String = "rl") {
        let series = records.series(MetricKey.entropy, phase: phase)
        steps = series.map(\.step)
        entropy = series.map(\.value)
    }

    /// The largest change between consecutive steps, in absolute value.
    public var largestStepChange: Double {
        zip(entropy, entropy.dropFirst()).map { abs($1 - $0) }.max() ?? 0
    }
}
