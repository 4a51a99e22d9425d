/// The prompt every agent trajectory starts from — shared by rollouts, evaluation and SFT
/// demonstrations, so the policy is always trained and sampled on the same text.
///
/// Chat-marked (`<|im_start|>role … <|im_end|>`, as Qwen3 writes its chats): a system turn with
/// `instructions` describing the trajectory format's tags, a user turn with the question, and an
/// opened assistant turn where the trajectory (the pieces after the prompt) begins:
///
/// ```
/// <|im_start|>system
/// {instructions}<|im_end|>
/// <|im_start|>user
/// {question}<|im_end|>
/// <|im_start|>assistant
/// ```
public struct AgentPrompt: Equatable, Sendable {
    /// What the standard tools (`search`, `open`, `python`) and the answer format look like.
    public static let standardInstructions = "Answer the question. Think inside <think> </think>. "
        + "Call a tool with <search> query </search>, <open> page title </open> or <python> expression </python>; "
        + "its output comes back inside <result> </result>. "
        + "Give the final answer as <answer> \\boxed{answer} </answer>."

    public var instructions: String

    public init(instructions: String = AgentPrompt.standardInstructions) {
        self.instructions = instructions
    }

    /// The prompt text for `question`; the trajectory text follows it directly.
    public func text(question: String) -> String {
        "<|im_start|>system\n\(instructions)<|im_end|>\n<|im_start|>user\n\(question)<|im_end|>\n<|im_start|>assistant\n"
    }
}
