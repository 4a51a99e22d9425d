/// How one sampled run of the agent did on one evaluation question.
public struct QuestionOutcome: Codable, Equatable, Sendable {
    public var suite: String
    public var questionID: String
    public var run: Int
    /// The normalised answer equals one of the ground truths (the Pass@k notion of correct).
    public var exactMatch: Bool
    /// Token-level F1 against the best ground truth (0 when no answer was given).
    public var f1: Double
    public var toolCalls: Int
    /// The trajectory broke the answer format (docs/algorithm.md §3.1), so it earned no answer.
    public var formatFailure: Bool

    public init(suite: String, questionID: String, run: Int, exactMatch: Bool, f1: Double, toolCalls: Int, formatFailure: Bool) {
        self.suite = suite
        self.questionID = questionID
        self.run = run
        self.exactMatch = exactMatch
        self.f1 = f1
        self.toolCalls = toolCalls
        self.formatFailure = formatFailure
    }

    enum CodingKeys: String, CodingKey {
        case suite, run, f1
        case questionID = "question_id", exactMatch = "exact_match", toolCalls = "tool_calls", formatFailure = "format_failure"
    }
}
