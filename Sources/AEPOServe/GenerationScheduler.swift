import AEPOAgent
import AEPOCore
import AEPOModel
import AEPOTokenizer
import Foundation

/// Continuous batching over one `InferenceEngine`: a dedicated thread owns the engine; requests join
/// between decode steps (their prompts prefilled together, the `n` choices of one prompt forked from
/// its cache) and leave as soon as they finish or their client goes away. Every step samples one
/// token for each live choice with the choice's own `Sampler` and generator, then advances all of
/// them in one `decodeStep`.
public final class GenerationScheduler: @unchecked Sendable {
    public let engine: InferenceEngine
    public let tokenizer: Tokenizer
    public let endTokens: Set<Int>
    public let limits: ServeLimits

    /// Decode steps run and the choices they advanced (for the batching figure).
    public struct Statistics: Equatable, Sendable {
        public var decodeSteps = 0
        public var decodedChoices = 0
        public var requests = 0
    }

    private struct Job {
        var id: Int
        var request: GenerationRequest
        var seed: UInt64
        var continuation: AsyncStream<GenerationEvent>.Continuation
        var open: Int
    }

    private struct Choice {
        var job: Int
        var index: Int
        var sequence: SequenceID
        var logits: [Float]
        var sampler: Sampler
        var generator: SeededGenerator
        var text: CompletionText
        var generated = 0
    }

    private let condition = NSCondition()
    // Guarded by `condition`.
    private var pending: [Job] = []
    private var cancelled: Set<Int> = []
    private var active = 0
    private var nextJob = 0
    private var stopping = false
    private var stats = Statistics()
    private let finished = DispatchSemaphore(value: 0)
    // Owned by the scheduler thread.
    private var jobs: [Int: Job] = [:]
    private var choices: [Choice] = []

    public init(engine: InferenceEngine, tokenizer: Tokenizer, limits: ServeLimits) {
        self.engine = engine
        self.tokenizer = tokenizer
        self.limits = limits
        endTokens = StopCriteria.endTokens(of: tokenizer, extra: engine.config.eosTokenID)
        let thread = Thread { [self] in run() }
        thread.name = "aepo-serve-engine"
        thread.start()
    }

    public var statistics: Statistics {
        condition.lock()
        defer { condition.unlock() }
        return stats
    }

    /// Queues `request`; its tokens arrive on the returned stream, which ends after the last choice finishes.
    /// Throws a 429 `OpenAIError` when `maxConcurrentRequests` requests are already in flight.
    public func submit(_ request: GenerationRequest) throws -> AsyncStream<GenerationEvent> {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { throw OpenAIError(.serviceUnavailable, "the server is shutting down", type: "server_error") }
        guard active < limits.maxConcurrentRequests else {
            throw OpenAIError(.tooManyRequests, "the server is generating for \(active) requests, its limit; retry later",
                              code: "rate_limit_exceeded")
        }
        let id = nextJob
        nextJob += 1
        active += 1
        stats.requests += 1
        let (stream, continuation) = AsyncStream<GenerationEvent>.makeStream()
        continuation.onTermination = { [weak self] reason in
            guard case .cancelled = reason, let self else { return }
            self.condition.lock()
            self.cancelled.insert(id)
            self.condition.signal()
            self.condition.unlock()
        }
        pending.append(Job(id: id, request: request, seed: request.seed ?? UInt64.random(in: .min ... .max),
                           continuation: continuation, open: request.choices))
        condition.signal()
        return stream
    }

    /// Lets the requests in flight finish, then stops the engine thread.
    public func shutdown() {
        condition.lock()
        let already = stopping
        stopping = true
        condition.signal()
        condition.unlock()
        if !already { finished.wait() }
    }

    // MARK: The engine thread

    private func run() {
        while true {
            condition.lock()
            while pending.isEmpty && cancelled.isEmpty && choices.isEmpty && !stopping { condition.wait() }
            if stopping && pending.isEmpty && choices.isEmpty {
                condition.unlock()
                finished.signal()
                return
            }
            let joining = pending
            let leaving = cancelled
            pending = []
            cancelled = []
            condition.unlock()

            for id in leaving where jobs[id] != nil {
                for c in choices where c.job == id { engine.release(c.sequence) }
                choices.removeAll { $0.job == id }
                close(id)
            }
            admit(joining.filter { !leaving.contains($0.id) })
            for job in joining where leaving.contains(job.id) {
                jobs[job.id] = job
                close(job.id)
            }
            if !choices.isEmpty { step() }
        }
    }

    /// Prefills the new prompts in one pass and opens their choices.
    private func admit(_ joining: [Job]) {
        guard !joining.isEmpty else { return }
        let sequences = joining.map { _ in engine.makeSequence() }
        let logits: [Float]
        do {
            logits = try engine.prefill(zip(sequences, joining).map { (sequence: $0, tokens: $1.request.prompt) })
        } catch {
            for s in sequences { engine.release(s) }
            for job in joining {
                job.continuation.yield(.failed("the prompt could not be run"))
                jobs[job.id] = job
                close(job.id)
            }
            return
        }
        let v = engine.config.vocabSize
        for (i, job) in joining.enumerated() {
            jobs[job.id] = job
            let row = Array(logits[(i * v)..<((i + 1) * v)])
            let r = job.request
            for c in 0..<r.choices {
                choices.append(Choice(
                    job: job.id, index: c, sequence: c == 0 ? sequences[i] : engine.fork(sequences[i]), logits: row,
                    sampler: Sampler(settings: r.sampling), generator: SeededGenerator(seed: job.seed).derived(stream: UInt64(c)),
                    text: CompletionText(stops: r.stop, includeStop: r.includeStopString, skipSpecialTokens: r.skipSpecialTokens)))
            }
        }
    }

    /// Samples one token for every live choice, reports it, and advances the unfinished ones together.
    private func step() {
        var advancing: [Int] = []
        var done: [Int] = []
        for i in choices.indices {
            let job = jobs[choices[i].job]!
            var generator = choices[i].generator
            let sampler = choices[i].sampler
            let sampled = choices[i].logits.withUnsafeBufferPointer { sampler.sample($0, using: &generator) }
            choices[i].generator = generator
            choices[i].generated += 1
            let atEnd = endTokens.contains(sampled.token)
            let atLimit = choices[i].generated >= job.request.maxTokens
                || engine.length(of: choices[i].sequence) + 1 >= engine.config.maxPositionEmbeddings
            let text = choices[i].text.append(sampled.token, final: atEnd || atLimit, tokenizer: tokenizer)
            let top = job.request.topLogprobs.map { Self.top($0, of: choices[i].logits, chosen: sampled) } ?? []
            job.continuation.yield(.token(choice: choices[i].index,
                                          GeneratedToken(token: sampled.token, logprob: sampled.policyLogProb, top: top, text: text)))
            if atEnd || choices[i].text.stopped || atLimit {
                let reason: FinishReason = atEnd || choices[i].text.stopped ? .stop : .length
                job.continuation.yield(.finished(choice: choices[i].index, reason: reason))
                done.append(i)
            } else {
                advancing.append(i)
            }
        }
        if !advancing.isEmpty {
            do {
                let logits = try engine.decodeStep(sequences: advancing.map { choices[$0].sequence },
                                                   tokens: advancing.map { choices[$0].text.tokens.last! })
                let v = engine.config.vocabSize
                for (row, i) in advancing.enumerated() { choices[i].logits = Array(logits[(row * v)..<((row + 1) * v)]) }
                condition.lock()
                stats.decodeSteps += 1
                stats.decodedChoices += advancing.count
                condition.unlock()
            } catch {
                for i in advancing { jobs[choices[i].job]!.continuation.yield(.failed("a decode step failed")) }
                done += advancing
            }
        }
        for i in done {
            engine.release(choices[i].sequence)
            jobs[choices[i].job]!.open -= 1
        }
        let closing = Set(done.map { choices[$0].job }).filter { jobs[$0]!.open == 0 }
        let doneSet = Set(done)
        choices = choices.indices.filter { !doneSet.contains($0) }.map { choices[$0] }
        for id in closing { close(id) }
    }

    private func close(_ id: Int) {
        jobs.removeValue(forKey: id)?.continuation.finish()
        condition.lock()
        active -= 1
        condition.unlock()
    }

    /// The `count` most likely tokens of `logits` under `log softmax(z)`, best first (ties to the lower id).
    static func top(_ count: Int, of logits: [Float], chosen: SampledToken) -> [(token: Int, logprob: Float)] {
        guard count > 0 else { return [] }
        // log softmax(z)_v = z_v − log Σ exp(z): recover the normaliser from the chosen token.
        let logZ = logits[chosen.token] - chosen.policyLogProb
        var best: [(token: Int, logit: Float)] = []
        best.reserveCapacity(count + 1)
        for (v, z) in logits.enumerated() where best.count < count || z > best[best.count - 1].logit {
            var at = best.count
            while at > 0 && best[at - 1].logit < z { at -= 1 }
            best.insert((v, z), at: at)
            if best.count > count { best.removeLast() }
        }
        return best.map { ($0.token, $0.logit - logZ) }
    }
}
