/// Mean entropy of the trained tokens per step (spec §5), with the figures that tell a stable curve
/// from a collapse or a spike.
public struct EntropyDynamics: Equatable, Sendable {
    public var steps: [Int]
    public var entropy: [Double]

    public init(_ records: [MetricsRecord], phase: String = "rl") {
        let series = records.series(MetricKey.entropy, phase: phase)
        steps = series.map(\.step)
        entropy = series.map(\.value)
    }

    /// Last minus first value.
    public var drift: Double { (entropy.last ?? 0) - (entropy.first ?? 0) }
    /// Smallest and largest value.
    public var range: (min: Double, max: Double) { (entropy.min() ?? 0, entropy.max() ?? 0) }
    /// The largest change between consecutive steps, in absolute value.
    public var largestStepChange: Double {
        zip(entropy, entropy.dropFirst()).map { abs($1 - $0) }.max() ?? 0
    }
}
