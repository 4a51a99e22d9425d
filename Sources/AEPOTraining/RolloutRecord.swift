import AEPOAgent
import AEPOTools

/// One trajectory of an RL step as `<run>/rollouts.jsonl` keeps it: enough for the sampling-diversity and
/// tool-call analyses and for reading what the policy wrote, without the per-token log-probs and entropies.
public struct RolloutRecord: Codable, Equatable, Sendable {
    /// The training step (1-based).
    public var step: Int
    /// The question's index among the step's questions (refill rounds of dynamic sampling continue the count),
    /// as `question` in the same step's branch events.
    public var question: Int
    public var questionID: String
    /// The trajectory's id in its group, the one it branched from, and its tree root.
    public var id: Int
    public var parent: Int?
    public var root: Int
    /// The reward (−1 for a broken format, else F1 plus the tool bonus), and the score trained on (after DAPO's
    /// overlong shaping).
    public var reward: Double
    public var score: Double
    public var exactMatch: Bool
    public var f1: Double
    /// Whether the group went into the update (false: dropped by dynamic sampling).
    public var trained: Bool
    /// The policy it was sampled from: the number of steps that policy had been trained (absent in logs of earlier
    /// versions).
    public var policyVersion: Int?
    public var answer: String?
    public var finish: TrajectoryFinish
    public var toolCalls: [ToolCall]
    /// The policy-written tokens, in order (tool results left out).
    public var policyTokens: [Int]
    /// The response text: the model's pieces and the `<result>` blocks.
    public var text: String

    public init(step: Int, question: Int, trajectory t: Trajectory, score: Double, trained: Bool, policyVersion: Int? = nil) {
        self.step = step
        self.question = question
        questionID = t.questionID
        id = t.id
        parent = t.parent
        root = t.root
        reward = t.reward.value
        self.score = score
        exactMatch = t.reward.exactMatch
        f1 = t.reward.f1
        self.trained = trained
        self.policyVersion = policyVersion
        answer = t.answer
        finish = t.finish
        toolCalls = t.toolCalls.map(\.call)
        policyTokens = t.policyTokens
        text = t.text
    }

    enum CodingKeys: String, CodingKey {
        case step, question, questionID = "question_id", id, parent, root, reward, score, exactMatch = "exact_match", f1, trained
        case policyVersion = "policy_version"
        case answer, finish, toolCalls = "tool_calls", policyTokens = "policy_tokens", text
    }
}
