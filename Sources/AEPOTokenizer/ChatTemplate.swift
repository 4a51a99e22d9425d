import AEPOTokenizer

/// Renders chat messages as the prompt the model continues.
///
/// With a tokenizer that has `<|im_start|>` and `<|im_end|>` (Qwen's format), ChatML:
/// `<|im_start|>{role}\n{content}<|im_end|>\n` per message, then `<|im_start|>assistant\n`; the reply
/// ends at `<|im_end|>`. Otherwise a plain transcript: `{role}: {content}\n` per message, then `assistant:`.
public struct ChatTemplate: Sendable {
    public struct Message: Equatable, Sendable {
        public var role: String
        public var content: String

        public init(role: String, content: String) {
            self.role = role
            self.content = content
        }
    }

    public static let roles: Set<String> = ["system", "user", "assistant", "tool", "developer"]

    public let isChatML: Bool

    public init(tokenizer: Tokenizer) {
        isChatML = tokenizer.id(forToken: "<|im_start|>") != nil && tokenizer.id(forToken: "<|im_end|>") != nil
    }

    public func render(_ messages: [Message]) -> String {
        if isChatML {
            return messages.map { "<|im_start|>\($0.role)\n\($0.content)<|im_end|>\n" }.joined() + "<|im_start|>assistant\n"
        }
        return messages.map { "\($0.role): \($0.content)\n" }.joined() + "assistant:"
    }
}
