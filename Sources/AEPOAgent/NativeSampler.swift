import AEPOCore
import AEPOModel

/// `SamplingBackend` over the native `InferenceEngine` and a `Sampler`.
///
/// Each open sequence keeps its next-token logits; a segment's last sampled token is run only when
/// the sequence goes on (with the tokens appended to it, or at the start of its next segment), so a
/// trajectory that ends costs nothing more. Every `generate` step samples each unfinished sequence
/// from its own logits with its own generator, then advances all of them in one `decodeStep`.
/// `fork` forks the engine's paged KV cache: the child recomputes nothing.
public final class NativeSampler: SamplingBackend {
    public let engine: InferenceEngine
    public let sampler: Sampler
    public private(set) var statistics = SamplingStatistics()

    private struct State {
        var sequence: SequenceID
        /// Logits after the last token run, when `pending` is nil.
        var logits: [Float]
        /// A sampled token not yet run through the model.
        var pending: Int?
    }
    private var states: [Int: State] = [:]
    private var nextHandle = 0

    public init(engine: InferenceEngine, sampling: SamplingSettings) {
        self.engine = engine
        sampler = Sampler(settings: sampling)
    }

    public var entropyVocabularySize: Int { engine.config.vocabSize }
    public var contextLength: Int { engine.config.maxPositionEmbeddings }

    public func open(prompts: [[Int]]) throws -> [SequenceHandle] {
        let sequences = prompts.map { _ in engine.makeSequence() }
        let logits: [Float]
        do {
            logits = try prefill(Array(zip(sequences, prompts)))
        } catch {
            for s in sequences { engine.release(s) }
            throw error
        }
        let v = engine.config.vocabSize
        return sequences.enumerated().map { i, s in
            let handle = SequenceHandle(rawValue: nextHandle)
            nextHandle += 1
            states[handle.rawValue] = State(sequence: s, logits: Array(logits[(i * v)..<((i + 1) * v)]), pending: nil)
            return handle
        }
    }

    public func extend(_ requests: [(sequence: SequenceHandle, tokens: [Int])]) throws {
        guard !requests.isEmpty else { return }
        let runs = requests.map { r -> (SequenceID, [Int]) in
            let state = state(r.sequence)
            return (state.sequence, (state.pending.map { [$0] } ?? []) + r.tokens)
        }
        statistics.deferredTokens += requests.filter { states[$0.sequence.rawValue]?.pending != nil }.count
        let logits = try prefill(runs)
        let v = engine.config.vocabSize
        for (i, r) in requests.enumerated() {
            states[r.sequence.rawValue]!.logits = Array(logits[(i * v)..<((i + 1) * v)])
            states[r.sequence.rawValue]!.pending = nil
        }
    }

    public func fork(_ sequence: SequenceHandle) -> SequenceHandle {
        var child = state(sequence)
        child.sequence = engine.fork(child.sequence)
        let handle = SequenceHandle(rawValue: nextHandle)
        nextHandle += 1
        states[handle.rawValue] = child
        statistics.forks += 1
        return handle
    }

    public func release(_ sequence: SequenceHandle) {
        engine.release(state(sequence).sequence)
        states[sequence.rawValue] = nil
    }

    public func generate(_ requests: [SegmentRequest], stop: StopCriteria) throws -> [GeneratedSegment] {
        precondition(Set(requests.map(\.sequence)).count == requests.count, "a sequence appears twice in one generate call")
        // Sequences whose last segment's final token is still pending run it first.
        let pending = requests.map(\.sequence).filter { states[$0.rawValue]?.pending != nil }
        if !pending.isEmpty { try decode(pending.map { ($0, state($0).pending!) }) }

        var results = requests.map { GeneratedSegment(tokens: [], finish: .tokenLimit, generator: $0.generator) }
        var scanners = requests.map { _ in StopCriteria.Scanner(stop) }
        var live = requests.indices.filter { requests[$0].maxTokens > 0 }
        while !live.isEmpty {
            var next: [(SequenceHandle, Int)] = []
            var stillLive: [Int] = []
            for i in live {
                let handle = requests[i].sequence
                let sampled = states[handle.rawValue]!.logits.withUnsafeBufferPointer {
                    sampler.sample($0, using: &results[i].generator)
                }
                results[i].tokens.append(sampled)
                statistics.generatedTokens += 1
                states[handle.rawValue]!.pending = sampled.token
                if let finish = scanners[i].feed(sampled.token) {
                    results[i].finish = finish
                } else if results[i].tokens.count < requests[i].maxTokens {
                    next.append((handle, sampled.token))
                    stillLive.append(i)
                }
            }
            if !next.isEmpty { try decode(next) }
            live = stillLive
        }
        return results
    }

    // MARK: Model passes

    /// Runs each sequence's one token and stores the new logits.
    private func decode(_ steps: [(SequenceHandle, Int)]) throws {
        let logits = try countingPasses { try engine.decodeStep(sequences: steps.map { state($0.0).sequence }, tokens: steps.map(\.1)) }
        let v = engine.config.vocabSize
        for (i, (handle, _)) in steps.enumerated() {
            states[handle.rawValue]!.logits = Array(logits[(i * v)..<((i + 1) * v)])
            states[handle.rawValue]!.pending = nil
        }
        statistics.decodeSteps += 1
        statistics.decodedSequences += steps.count
    }

    private func prefill(_ runs: [(SequenceID, [Int])]) throws -> [Float] {
        let before = engine.statistics.prefillTokens
        let logits = try countingPasses { try engine.prefill(runs.map { (sequence: $0.0, tokens: $0.1) }) }
        statistics.prefillTokens += engine.statistics.prefillTokens - before
        return logits
    }

    /// `body`'s result, with the engine passes it ran added to `statistics.passes`.
    private func countingPasses(_ body: () throws -> [Float]) rethrows -> [Float] {
        let before = engine.statistics.passes
        defer { statistics.passes += engine.statistics.passes - before }
        return try body()
    }

    private func state(_ handle: SequenceHandle) -> State {
        guard let state = states[handle.rawValue] else { preconditionFailure("sequence \(handle.rawValue) is not open") }
        return state
    }
}
