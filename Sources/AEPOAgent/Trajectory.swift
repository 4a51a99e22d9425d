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

    /// The tokens the policy wrote, in order (tool results left out).
    public var policyTokens: [Int] { zip(responseTokens, lossMask).filter { $0.1 > 0 }.map(\.0) }

    enum CodingKeys: String, CodingKey {
        case questionIndex = "question_index", questionID = "question_id", id, parent, root
        case promptTokens = "prompt_tokens", responseTokens = "response_tokens", lossMask = "loss_mask"
        case logProbs = "log_probs", policyLogProbs = "policy_log_probs", entropies, segments
        case toolCalls = "tool_calls", finish, text, answer, reward
    }
}
