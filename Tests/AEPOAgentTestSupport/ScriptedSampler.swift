import AEPOAgent
import AEPOCore
import AEPOModel

/// A `SamplingBackend` without a model, for tests of everything above the model: `script` chooses
/// each token (with its log-probs and entropy) from the sequence so far and the trajectory's
/// generator. A sequence's tokens depend only on its own context and stream, never on the batch.
public final class ScriptedSampler: SamplingBackend {
    /// Chooses the next token given the whole sequence so far (prompt, appended and generated tokens).
    public typealias Script = (_ context: [Int], _ generator: inout SeededGenerator) -> SampledToken

    public let entropyVocabularySize: Int
    public let contextLength: Int
    public private(set) var statistics = SamplingStatistics()
    /// The number of requests of every `generate` call, in order (to check batching).
    public private(set) var generateBatchSizes: [Int] = []

    private let script: Script
    private var contexts: [Int: [Int]] = [:]
    private var nextHandle = 0

    public init(vocabularySize: Int, contextLength: Int = 1 << 20, script: @escaping Script) {
        entropyVocabularySize = vocabularySize
        self.contextLength = contextLength
        self.script = script
    }

    /// Sequences currently open.
    public var openSequences: Int { contexts.count }

    /// The tokens of an open sequence.
    public func context(of sequence: SequenceHandle) -> [Int] { contexts[sequence.rawValue]! }

    public func open(prompts: [[Int]]) throws -> [SequenceHandle] {
        prompts.map { prompt in
            precondition(!prompt.isEmpty, "empty prompt")
            statistics.prefillTokens += prompt.count
            return add(prompt)
        }
    }

    public func extend(_ requests: [(sequence: SequenceHandle, tokens: [Int])]) throws {
        for (sequence, tokens) in requests {
            precondition(contexts[sequence.rawValue] != nil, "sequence is not open")
            contexts[sequence.rawValue]! += tokens
            statistics.prefillTokens += tokens.count
        }
    }

    public func fork(_ sequence: SequenceHandle) -> SequenceHandle {
        statistics.forks += 1
        return add(contexts[sequence.rawValue]!)
    }

    public func release(_ sequence: SequenceHandle) {
        precondition(contexts.removeValue(forKey: sequence.rawValue) != nil, "sequence is not open")
    }

    public func generate(_ requests: [SegmentRequest], stop: StopCriteria) throws -> [GeneratedSegment] {
        generateBatchSizes.append(requests.count)
        return requests.map { request in
            var generator = request.generator
            var tokens: [SampledToken] = []
            var scanner = StopCriteria.Scanner(stop)
            var finish = SegmentFinish.tokenLimit
            while tokens.count < request.maxTokens {
                let sampled = script(contexts[request.sequence.rawValue]!, &generator)
                tokens.append(sampled)
                contexts[request.sequence.rawValue]!.append(sampled.token)
                statistics.generatedTokens += 1
                if let end = scanner.feed(sampled.token) {
                    finish = end
                    break
                }
            }
            return GeneratedSegment(tokens: tokens, finish: finish, generator: generator)
        }
    }

    private func add(_ tokens: [Int]) -> SequenceHandle {
        let handle = SequenceHandle(rawValue: nextHandle)
        nextHandle += 1
        contexts[handle.rawValue] = tokens
        return handle
    }
}
