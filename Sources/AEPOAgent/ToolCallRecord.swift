import AEPOTools

/// A tool call the agent ran, with the `<result>` block appended after it.
public struct ToolCallRecord: Codable, Equatable, Sendable {
    public var call: ToolCall
    /// The rendered block, `TrajectoryFormat.resultBlock(output)`.
    public var result: String
    /// The index of the segment that made the call.
    public var segment: Int
}
