import AEPOAgent
import AEPOCore
import AEPOModel
import AEPOTokenizer
import Foundation

/// A fake policy for `ScriptedSampler`: segment `i` of a trajectory (counted by `</result>` tokens
/// after the prompt) is one of `segments[i]`'s texts (the last list repeats), chosen with the
/// trajectory's generator at the segment's first token and then written token by token. Every token
/// reports entropy `entropy(i)` and log-prob `−log(alternatives)` at a choice, 0 otherwise.
public struct ScriptedPolicy {
    public var tokenizer: Tokenizer
    public var segments: [[String]]
    public var entropy: (Int) -> Float

    public init(tokenizer: Tokenizer = AgentFixture.tokenizer, segments: [[String]], entropy: @escaping (Int) -> Float = { _ in 1 }) {
        self.tokenizer = tokenizer
        self.segments = segments
        self.entropy = entropy
    }

    /// A backend that samples from this policy.
    public func sampler(contextLength: Int = 1 << 20) -> ScriptedSampler {
        ScriptedSampler(vocabularySize: tokenizer.vocabularySize, contextLength: contextLength) { context, generator in
            self.next(context, &generator)
        }
    }

    func next(_ context: [Int], _ generator: inout SeededGenerator) -> SampledToken {
        let start = tokenizer.id(forToken: "<|im_start|>")!, close = tokenizer.id(forToken: "</result>")!
        let responseStart = context.lastIndex(of: start)! + 1 + tokenizer.encode("assistant\n").count
        var segmentStart = responseStart, index = 0
        for i in responseStart..<context.count where context[i] == close {
            index += 1
            segmentStart = i + 1 + tokenizer.encode("\n").count
        }
        let written = Array(context[min(segmentStart, context.count)...])
        let options = segments[min(index, segments.count - 1)].map(tokenizer.encode)
        let h = entropy(index)
        if written.isEmpty {
            let choice = Int(generator.nextDouble() * Double(options.count))
            return SampledToken(token: options[choice][0], logProb: -Float(log(Double(options.count))), policyLogProb: -1, entropy: h)
        }
        guard let option = options.first(where: { $0.count > written.count && Array($0.prefix(written.count)) == written }) else {
            return SampledToken(token: tokenizer.id(forToken: "<|endoftext|>")!, logProb: 0, policyLogProb: -1, entropy: h)
        }
        return SampledToken(token: option[written.count], logProb: 0, policyLogProb: -1, entropy: h)
    }
}
