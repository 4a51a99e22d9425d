import AEPOTokenizer
import AEPOTools

/// The tokenizer a benchmark ships: byte-level BPE trained on its corpus, its questions inside the
/// agent prompt (`AgentPrompt` in ChatML), and its demonstrations, with the chat markers and every trajectory
/// tag as special tokens (so a tag is always one token and never split or merged with text).
public enum BenchmarkTokenizer {
    public static let specialTokens = [
        "<|endoftext|>", "<|im_start|>", "<|im_end|>",
        "<think>", "</think>", "<search>", "</search>", "<open>", "</open>", "<python>", "</python>",
        "<result>", "</result>", "<answer>", "</answer>",
    ]

    /// Trains a tokenizer of `vocabularySize` tokens on `benchmark`'s texts.
    public static func train(on benchmark: Benchmark, vocabularySize: Int) throws -> Tokenizer {
        let prompt = AgentPrompt()
        let texts = benchmark.pages.map { $0.title + "\n" + $0.text }
            + (try benchmark.questions.map { try ChatTemplate.chatML.render(prompt.messages(question: $0.question)) })
            + benchmark.demonstrations.map(\.text)
        return try BPETrainer(vocabularySize: vocabularySize, specialTokens: specialTokens).train(on: texts)
    }
}
