import AEPOAgent
import AEPOBenchmark
import AEPOModel

/// One demonstration as the model trains on it, tokenized by `TrajectoryEncoding` as the agent loop tokenizes a
/// trajectory (the prompt, then each piece on its own); `mask[t] = 1` exactly for tokens of `model` pieces
/// (the policy's writing), 0 for the prompt and the `<result>` blocks; `toolOutput[t] = 1` exactly for the
/// `<result>` blocks' tokens.
public struct SFTExample: Equatable, Sendable {
    public var tokens: [Int]
    public var mask: [UInt8]
    public var toolOutput: [UInt8]

    public init(_ demonstration: Demonstration, encoding: TrajectoryEncoding, maxTokens: Int) throws {
        let promptTokens = try encoding.promptTokens(question: demonstration.question)
        let response = encoding.response(demonstration.trajectoryPieces)
        let untrained = [UInt8](repeating: 0, count: promptTokens.count)
        tokens = promptTokens + response.tokens
        mask = untrained + response.lossMask
        toolOutput = untrained + response.lossMask.map { 1 - $0 }
        if tokens.count > maxTokens {
            tokens.removeLast(tokens.count - maxTokens)
            mask.removeLast(mask.count - maxTokens)
            toolOutput.removeLast(toolOutput.count - maxTokens)
        }
    }

    /// Next-token targets (the prediction made at the previous position) of every trained token of `examples`, and
    /// which of them are tool output: the policy's tokens always, the `<result>` tokens when `includeToolOutput`.
    public static func batch(_ examples: [SFTExample], includeToolOutput: Bool = false) -> (batch: TokenBatch, isToolOutput: [Bool]) {
        var targets: [TokenBatch.Target] = []
        var isToolOutput: [Bool] = []
        for (b, example) in examples.enumerated() {
            for t in 1..<max(example.tokens.count, 1) where example.mask[t] == 1 || (includeToolOutput && example.toolOutput[t] == 1) {
                targets.append(TokenBatch.Target(sequence: b, position: t - 1, token: example.tokens[t]))
                isToolOutput.append(example.mask[t] == 0)
            }
        }
        return (TokenBatch(sequences: examples.map(\.tokens), targets: targets), isToolOutput)
    }
}
