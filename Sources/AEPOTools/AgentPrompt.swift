import AEPOCore

/// The chat every agent trajectory answers — shared by rollouts, evaluation and SFT demonstrations, so the policy is
/// always trained and sampled on the same prompt: a system turn with `instructions` describing the trajectory format's
/// tags, then a user turn with the question. A chat template (`ChatTemplate`, the checkpoint's own or ChatML) renders
/// it with the assistant's turn opened, where the trajectory (the pieces after the prompt) begins; in ChatML:
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

    /// The system and user messages for `question`.
    public func messages(question: String) -> [ChatMessage] {
        [ChatMessage(role: "system", content: instructions), ChatMessage(role: "user", content: question)]
    }
}
