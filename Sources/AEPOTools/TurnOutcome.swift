/// What the agent does after a segment stops (`ToolEnvironment.respond(to:budget:)`).
public enum TurnOutcome: Equatable, Sendable {
    /// Append this rendered `<result>` block (environment tokens, loss mask 0) and generate again.
    case appendResult(String)
    /// End the trajectory.
    case finish(FinishReason)

    public enum FinishReason: String, Equatable, Sendable, Codable {
        /// `</answer>` was written.
        case answered
        /// A tool call past the per-trajectory limit (docs/algorithm.md §1.1).
        case toolLimit
        /// A forged `<result>` or a closing tool tag without its opening: the format is broken.
        case brokenFormat
    }
}

extension ToolEnvironment {
    /// The agent's response to a segment's stop: run the call if the budget allows (counting it)
    /// and return the result block to append, or say why the trajectory ends.
    public func respond(to stop: TrajectoryFormat.Stop, budget: inout ToolCallBudget) -> TurnOutcome {
        switch stop {
        case .answer:
            return .finish(.answered)
        case .forgedResult, .unopenedToolCall:
            return .finish(.brokenFormat)
        case .toolCall(let call):
            guard budget.consume() else { return .finish(.toolLimit) }
            return .appendResult(TrajectoryFormat.resultBlock(run(call)))
        }
    }
}
