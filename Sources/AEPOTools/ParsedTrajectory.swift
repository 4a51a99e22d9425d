/// What `TrajectoryFormat.parse` finds in a finished trajectory.
public struct ParsedTrajectory: Codable, Equatable, Sendable {
    /// Every complete tool call, in order.
    public var toolCalls: [ToolCall]
    /// The content of `\boxed{…}` in the answer; `nil` when there is none or the format is broken.
    public var answer: String?
    /// Why the format is broken (docs/algorithm.md §3.1), or `nil` when it is well formed.
    public var problem: String?

    public init(toolCalls: [ToolCall], answer: String?, problem: String?) {
        self.toolCalls = toolCalls
        self.answer = answer
        self.problem = problem
    }

    /// Well formed: reward is computed from `answer`; otherwise the reward is −1.
    public var isWellFormed: Bool { problem == nil }
}
