/// Why a trajectory ended.
public enum TrajectoryFinish: String, Codable, Equatable, Sendable {
    /// `</answer>` was written.
    case answer
    /// An end-of-sequence token was sampled.
    case endOfSequence = "end-of-sequence"
    /// The response-length limit (policy tokens) was reached.
    case responseLimit = "response-limit"
    /// The sequence would not fit the model's context (prompt, results and response together).
    case contextLimit = "context-limit"
    /// A tool call past the per-trajectory limit.
    case toolCallLimit = "tool-call-limit"
    /// The model closed a tool tag it never opened, or wrote `<result>`/`</result>` itself.
    case brokenFormat = "broken-format"
}
