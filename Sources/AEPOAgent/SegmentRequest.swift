import AEPOCore

/// One sequence to extend by one segment in `SamplingBackend.generate`.
public struct SegmentRequest: Sendable {
    public var sequence: SequenceHandle
    /// At most this many tokens are generated (0 returns an empty segment at once).
    public var maxTokens: Int
    /// The trajectory's own random stream: every draw for this sequence comes from it, so a
    /// segment does not depend on which other sequences share the batch.
    public var generator: SeededGenerator

    public init(sequence: SequenceHandle, maxTokens: Int, generator: SeededGenerator) {
        self.sequence = sequence
        self.maxTokens = maxTokens
        self.generator = generator
    }
}
