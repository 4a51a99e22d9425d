import AEPOCore
import AEPOModel

/// What `SamplingBackend.generate` returns for one request.
public struct GeneratedSegment: Sendable {
    /// Per generated token: the token, its sampling log-prob, the untempered policy log-prob and
    /// the full-distribution entropy (see `SampledToken`).
    public var tokens: [SampledToken]
    public var finish: SegmentFinish
    /// The request's generator after the segment's draws; the trajectory continues from it.
    public var generator: SeededGenerator

    public init(tokens: [SampledToken], finish: SegmentFinish, generator: SeededGenerator) {
        self.tokens = tokens
        self.finish = finish
        self.generator = generator
    }
}
