import AEPOTokenizer
import AEPOTools

/// How prompts and trajectory pieces become tokens — the one definition shared by rollouts and SFT, so the
/// policy is trained on exactly the token boundaries it samples with.
///
/// The prompt is the agent's chat (`AgentPrompt`) rendered by `template` (the checkpoint's chat template, or ChatML)
/// with the assistant's turn opened, encoded whole. A trajectory is encoded piece by piece in order
/// (`TrajectoryPiece`: what the model wrote, and each `<result>` block the environment appended), never as
/// one joined string: the agent loop appends each result block's tokens on their own after the model's.
/// Model pieces get loss mask 1, environment pieces 0.
public struct TrajectoryEncoding: Sendable {
    public let tokenizer: Tokenizer
    public let prompt: AgentPrompt
    public let template: ChatTemplate

    public init(tokenizer: Tokenizer, prompt: AgentPrompt = AgentPrompt(), template: ChatTemplate = .chatML) {
        self.tokenizer = tokenizer
        self.prompt = prompt
        self.template = template
    }

    /// The prompt text of `question`; the trajectory text follows it directly.
    public func promptText(question: String) throws -> String {
        try template.render(prompt.messages(question: question))
    }

    /// The prompt tokens of `question`.
    public func promptTokens(question: String) throws -> [Int] {
        tokenizer.encode(try promptText(question: question))
    }

    /// The tokens of one piece of text (a model segment or a `<result>` block).
    public func pieceTokens(_ text: String) -> [Int] {
        tokenizer.encode(text)
    }

    /// A whole trajectory's response tokens and loss mask (1 for model pieces, 0 for environment pieces),
    /// e.g. for an SFT demonstration.
    public func response(_ pieces: [TrajectoryPiece]) -> (tokens: [Int], lossMask: [UInt8]) {
        var tokens: [Int] = [], mask: [UInt8] = []
        for piece in pieces {
            let ids = pieceTokens(piece.text)
            tokens += ids
            if case .model = piece { mask += repeatElement(1, count: ids.count) } else { mask += repeatElement(0, count: ids.count) }
        }
        return (tokens, mask)
    }
}
