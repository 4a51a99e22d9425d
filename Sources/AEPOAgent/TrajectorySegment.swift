/// A stretch the model wrote between two tool results (the first starts right after the prompt).
public struct TrajectorySegment: Codable, Equatable, Sendable {
    /// Index into `responseTokens` of the segment's first token, and its token count.
    public var start: Int
    public var length: Int
    /// `H_seg` (see `SegmentEntropy`).
    public var entropy: Double
}
