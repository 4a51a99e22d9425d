import AEPOCore
import AEPOModel
import AEPOTokenizer
import Foundation

/// A small random Qwen3 over a tokenizer with the trajectory tags as special tokens (by default
/// `AgentFixture.tokenizer`) whose next-token distribution is close to a
/// chosen unigram distribution, so that a real engine writes tool calls, answers and ends:
/// every embedding gets a constant 1 in dimension 0, which dominates the final RMSNorm
/// (`≈ √hidden` there, the rest `≈ 0.02·√hidden`), and the untied LM head's column 0 is
/// `log p(v) / √hidden`; the rest of the network stays random and moves the logits slightly.
public enum ToolProneModel {
    /// Target probabilities of the tags; every other token shares what is left equally.
    public static let tagProbabilities: [String: Double] = [
        "<search>": 0.3, "</search>": 0.15, "</answer>": 0.03, "<|endoftext|>": 0.02,
        "<answer>": 0.01, "<think>": 0.01, "</think>": 0.01,
        "<open>": 0.001, "</open>": 0.001, "<python>": 0.001, "</python>": 0.001,
        "<result>": 0.0005, "</result>": 0.0005, "<|im_start|>": 0.0005, "<|im_end|>": 0.0005,
    ]

    public static func config(vocabularySize: Int = AgentFixture.tokenizer.vocabularySize, maxPositions: Int = 512) -> Qwen3Config {
        Qwen3Config(vocabSize: vocabularySize, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 2,
                    numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 8, maxPositionEmbeddings: maxPositions,
                    tieWordEmbeddings: false)
    }

    public static func make(tokenizer: Tokenizer = AgentFixture.tokenizer, seed: UInt64 = 7, maxPositions: Int = 512) throws -> Qwen3Model {
        let c = config(vocabularySize: tokenizer.vocabularySize, maxPositions: maxPositions)
        let model = try Qwen3Model(config: c, seed: seed)
        let layout = model.layout
        let embed = layout["model.embed_tokens.weight"]!.offset
        let head = layout.lmHeadOffset
        let tags = tagProbabilities.map { (tokenizer.id(forToken: $0.key)!, $0.value) }
        let rest = (1 - tags.reduce(0) { $0 + $1.1 }) / Double(c.vocabSize - tags.count)
        var p = [Double](repeating: rest, count: c.vocabSize)
        for (id, q) in tags { p[id] = q }
        let scale = Float(c.hiddenSize).squareRoot()
        for v in 0..<c.vocabSize {
            model.parameters[embed + v * c.hiddenSize] = 1
            model.parameters[head + v * c.hiddenSize] = Float(log(p[v])) / scale
        }
        return model
    }

    /// The tool-prone model with two bigram links, so that even greedy decoding calls a tool: `<search>` is followed by
    /// `Alba` and `Alba` by `</search>` (each token's embedding gets a 1 in a spare dimension, 1 and 2, which the LM head
    /// reads into the next token's logit).
    public static func makeSearching(tokenizer: Tokenizer = AgentFixture.tokenizer) throws -> Qwen3Model {
        let model = try make(tokenizer: tokenizer)
        let c = model.config
        let embed = model.layout["model.embed_tokens.weight"]!.offset, head = model.layout.lmHeadOffset
        let links = [(tokenizer.id(forToken: "<search>")!, tokenizer.encode("Alba").last!),
                     (tokenizer.encode("Alba").last!, tokenizer.id(forToken: "</search>")!)]
        for (dimension, (from, to)) in zip(1..., links) {
            model.parameters[embed + from * c.hiddenSize + dimension] = 1
            model.parameters[head + to * c.hiddenSize + dimension] = 1
        }
        return model
    }
}
