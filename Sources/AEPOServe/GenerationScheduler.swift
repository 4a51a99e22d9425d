import AEPOAgent
import AEPOCore
import AEPOModel
import AEPOTokenizer
import Foundation

/// Continuous batching over the served models' engines (`ServedModels`: the base and any loaded adapters): a
/// dedicated thread owns them; requests join between decode steps (their prompts prefilled together, per engine, the
/// `n` choices of one prompt forked from its cache) and leave as soon as they finish or their client goes away. Every
/// step samples one token for each live choice with the choice's own `Sampler` and generator, then advances the
/// choices of each engine in one `decodeStep`. A request runs to its end on the engine it was submitted to, even when
/// its name is meanwhile unloaded or the base's weights replaced: requests started before a swap finish on the old
/// weights. Work that changes the engines (`perform`) runs on the same thread, between two steps.
public final class GenerationScheduler: @unchecked Sendable {
    public let models: ServedModels
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
        var engine: InferenceEngine
        var seed: UInt64
        var continuation: AsyncStream<GenerationEvent>.Continuation
        var open: Int
    }

    private struct Choice {
        var job: Int
        var engine: InferenceEngine
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
    private var controls: [() -> Void] = []
    private var cancelled: Set<Int> = []
    private var active = 0
    private var nextJob = 0
    private var stopping = false
    private var stats = Statistics()
    private let finished = DispatchSemaphore(value: 0)
    // Owned by the scheduler thread.
    private var jobs: [Int: Job] = [:]
    private var choices: [Choice] = []

    /// A scheduler serving `engine` as the base model.
    public init(engine: InferenceEngine, tokenizer: Tokenizer, limits: ServeLimits) {
        models = ServedModels(base: engine)
        self.tokenizer = tokenizer
        self.limits = limits
        endTokens = StopCriteria.endTokens(of: tokenizer, extra: engine.config.eosTokenID)
        let thread = Thread { [self] in run() }
        thread.name = "aepo-serve-engine"
        thread.start()
    }

    /// The base model's engine now (requests already running keep the one they started on).
    public var engine: InferenceEngine { models.base }

    public var statistics: Statistics {
        condition.lock()
        defer { condition.unlock() }
        return stats
    }

    /// Queues `request` on `engine` (by default the base model's); its tokens arrive on the returned stream, which ends
    /// after the last choice finishes. Throws a 429 `OpenAIError` when `maxConcurrentRequests` requests are already in
    /// flight.
    public func submit(_ request: GenerationRequest, on engine: InferenceEngine? = nil) throws -> AsyncStream<GenerationEvent> {
        let engine = engine ?? models.base
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
        pending.append(Job(id: id, request: request, engine: engine, seed: request.seed ?? UInt64.random(in: .min ... .max),
                           continuation: continuation, open: request.choices))
        condition.signal()
        return stream
    }

    /// Runs `work` on the engine thread between two decode steps (so that it may build engines and change
    /// `models` while no pass runs) and returns its result. A 503 `OpenAIError` once the scheduler is shutting down.
    public func perform<T>(_ work: @escaping () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            guard !stopping else {
                continuation.resume(throwing: OpenAIError(.serviceUnavailable, "the server is shutting down", type: "server_error"))
                return
            }
            controls.append { continuation.resume(with: Result { try work() }) }
            condition.signal()
        }
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
            while pending.isEmpty && controls.isEmpty && cancelled.isEmpty && choices.isEmpty && !stopping { condition.wait() }
            if stopping && pending.isEmpty && controls.isEmpty && choices.isEmpty {
                condition.unlock()
                finished.signal()
                return
            }
            let joining = pending
            let work = controls
            let leaving = cancelled
            pending = []
            controls = []
            cancelled = []
            condition.unlock()

            for control in work { control() }
            for id in leaving where jobs[id] != nil {
                for c in choices where c.job == id { c.engine.release(c.sequence) }
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

    /// Prefills the new prompts, one pass per engine, and opens their choices.
    private func admit(_ joining: [Job]) {
        for group in Self.grouped(joining.indices, by: { joining[$0].engine }) {
            admit(group.map { joining[$0] }, on: joining[group[0]].engine)
        }
    }

    private func admit(_ joining: [Job], on engine: InferenceEngine) {
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
                    job: job.id, engine: engine, index: c, sequence: c == 0 ? sequences[i] : engine.fork(sequences[i]), logits: row,
                    sampler: Sampler(settings: r.sampling), generator: SeededGenerator(seed: job.seed).derived(stream: UInt64(c)),
                    text: CompletionText(stops: r.stop, includeStop: r.includeStopString, skipSpecialTokens: r.skipSpecialTokens)))
            }
        }
    }

    /// `indices` in groups of the same engine, each group in order, groups in order of their first member.
    private static func grouped<S: Sequence>(_ indices: S, by engine: (Int) -> InferenceEngine) -> [[Int]] where S.Element == Int {
        var groups: [ObjectIdentifier: Int] = [:]
        var out: [[Int]] = []
        for i in indices {
            let key = ObjectIdentifier(engine(i))
            if let g = groups[key] { out[g].append(i) } else {
                groups[key] = out.count
                out.append([i])
            }
        }
        return out
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
            let engine = choices[i].engine
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
        for group in Self.grouped(advancing, by: { choices[$0].engine }) {
            let engine = choices[group[0]].engine
            do {
                let logits = try engine.decodeStep(sequences: group.map { choices[$0].sequence },
                                                   tokens: group.map { choices[$0].text.tokens.last! })
                let v = engine.config.vocabSize
                for (row, i) in group.enumerated() { choices[i].logits = Array(logits[(row * v)..<((row + 1) * v)]) }
                condition.lock()
                stats.decodeSteps += 1
                stats.decodedChoices += group.count
                condition.unlock()
            } catch {
                for i in group { jobs[choices[i].job]!.continuation.yield(.failed("a decode step failed")) }
                done += group
            }
        }
        for i in done {
            choices[i].engine.release(choices[i].sequence)
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
