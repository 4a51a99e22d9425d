import AEPOAgent
import AEPOCore
import AEPOModel
import AEPOTokenizer
import AEPOTools
import Foundation

/// A tiny agent world for tests: a corpus of four pages, two questions, a byte-level BPE tokenizer
/// trained on them with the trajectory tags as special tokens.
public enum AgentFixture {
    /// The chat markers and every trajectory tag, as the benchmark tokenizer has them.
    public static let specialTokens = [
        "<|endoftext|>", "<|im_start|>", "<|im_end|>",
        "<think>", "</think>", "<search>", "</search>", "<open>", "</open>", "<python>", "</python>",
        "<result>", "</result>", "<answer>", "</answer>",
    ]

    public static let pages = [
        Page(title: "Alba Works", text: "Alba Works is a mill in Orsk. It was founded by Bruno Vale."),
        Page(title: "Bruno Vale", text: "Bruno Vale is an engineer. He was born in 1950."),
        Page(title: "Orsk", text: "Orsk is a town on the river Vel."),
        Page(title: "Vel", text: "The Vel is a river. It is 120 km long."),
    ]

    public static let questions = [
        Question(id: "q0", suite: "test", split: "train", question: "Who founded Alba Works?", answers: ["Bruno Vale"]),
        Question(id: "q1", suite: "test", split: "train", question: "How long is the river of Orsk?", answers: ["120 km"]),
        Question(id: "q2", suite: "test", split: "train", question: "In which year was the founder of Alba Works born?", answers: ["1950"]),
    ]

    public static let corpus: Corpus = try! Corpus(pages: pages)
    public static let environment = ToolEnvironment.standard(corpus: corpus, searchTopK: 1)

    /// Trained once: 15 special tokens, 256 bytes and merges up to `vocabularySize`.
    public static let tokenizer: Tokenizer = {
        let texts = pages.map { $0.title + "\n" + $0.text } + questions.map(\.question) + [AgentPrompt.standardInstructions]
            + ["<search> Alba Works </search>", "<answer> \\boxed{Bruno Vale} </answer>", "<python> 60 * 2 </python>"]
        return try! BPETrainer(vocabularySize: vocabularySize, specialTokens: specialTokens).train(on: texts)
    }()
    public static let vocabularySize = 320

    public static func id(_ token: String) -> Int { tokenizer.id(forToken: token)! }
}
