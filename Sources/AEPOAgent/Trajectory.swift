import AEPOTools

/// One finished agent trajectory, everything training and the analyses read.
///
/// Token arrays are aligned with `responseTokens` (everything after the prompt): `lossMask` is 1
/// exactly for tokens the policy wrote and 0 for tool-result tokens; `logProbs`, `policyLogProbs` and
/// `entropies` are the sampler's values for policy tokens and 0 for tool-result tokens.
public struct Trajectory: Codable, Equatable, Sendable {
    /// Position of the question in its batch, and its id.
    public var questionIndex: Int
    public var questionID: String
    /// Id within the question's group (`0..<k`); `parent` is the trajectory it was branched from
    /// (`nil` for a root); `root` the root of its tree path.
    public var id: Int
    public var parent: Int?
    public var root: Int

    public var promptTokens: [Int]
    public var responseTokens: [Int]
    public var lossMask: [UInt8]
    /// `log q(token)` under the distribution it was drawn from (temperature, top-k, top-p).
    public var logProbs: [Float]
    /// `log softmax(z)[token]`, the untempered policy.
    public var policyLogProbs: [Float]
    /// Full-distribution entropy `H_t` (nats) at each policy token.
    public var entropies: [Float]
    /// The model segments, in order.
    public var segments: [TrajectorySegment]
    public var toolCalls: [ToolCallRecord]
    public var finish: TrajectoryFinish
    /// The response text (model pieces and `<result>` blocks).
    public var text: String
    /// The boxed answer when the format is well formed.
    public var answer: String?
    public var reward: Reward.Breakdown

    /// Tokens the policy wrote.
    public var policyTokenCount: Int { lossMask.reduce(0) { $0 + Int($1) } }

    enum CodingKeys: String, CodingKey {
        case questionIndex = "question_index", questionID = "question_id", id, parent, root
        case promptTokens = "prompt_tokens", responseTokens = "response_tokens", lossMask = "loss_mask"
        case logProbs = "log_probs", policyLogProbs = "policy_log_probs", entropies, segments
        case toolCalls = "tool_calls", finish, text, answer, reward
    }
}

/// A stretch the model wrote between two tool results (the first starts right after the prompt).
public struct TrajectorySegment: Codable, Equatable, Sendable {
    /// Index into `responseTokens` of the segment's first token, and its token count.
    public var start: Int
    public var length: Int
    /// `H_seg` (see `SegmentEntropy`).
    public var entropy: Double
}

/// A tool call the agent ran, with the `<result>` block appended after it.
public struct ToolCallRecord: Codable, Equatable, Sendable {
    public var call: ToolCall
    /// The rendered block, `TrajectoryFormat.resultBlock(output)`.
    public var result: String
    /// The index of the segment that made the call.
    public var segment: Int
}

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
