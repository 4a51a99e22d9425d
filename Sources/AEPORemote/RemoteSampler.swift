import AEPOAgent
import AEPOCore
import AEPOModel
import Foundation

/// `SamplingBackend` over OpenAI-compatible `/v1/completions` servers (vLLM, SGLang, llama.cpp, `aepo serve`): one,
/// or a fleet of them serving the same model (`EndpointFleet`: each request to the least busy server).
///
/// A sequence is kept here as token ids; every segment sends the whole sequence as a token-id prompt
/// (a branch re-sends its prefix; servers with prefix caching reuse it) with `max_tokens`, the stop
/// strings, and the extensions `return_tokens_as_token_ids`, `skip_special_tokens: false` and
/// `include_stop_str_in_output: true`. The returned tokens are re-scanned with the agent's
/// `StopCriteria`, so a segment ends exactly where the native engine's would.
///
/// Per token (docs/algorithm.md §1.2): `policyLogProb` is the server's reported log-prob, taken as
/// `log softmax(z)` (vLLM's default raw log-probs); `entropy` is computed over the `topLogprobs`
/// alternatives only — `p ∝ exp(logprob / T)` (`T = 1` when greedy) **truncated to those n tokens and
/// renormalised over them**, so it equals the native full-vocabulary entropy when n = |V| and
/// underestimates the tail otherwise; `logProb` (the sampling log-prob) is the reported log-prob itself when the
/// sampling is `softmax(z)` (T = 1, no top-k or top-p: exact), else the sampling settings' temperature, top-k and top-p
/// applied to the same truncated set (which leaves out the tail unless n = |V|), and 0 when greedy, as natively.
/// Greedy requests draw nothing from a trajectory's generator; sampled ones draw one 64-bit `seed`.
public final class RemoteSampler: SamplingBackend {
    public struct Settings: Sendable {
        public var model: String
        public var sampling: SamplingSettings
        /// Alternatives asked for per token (`logprobs`); the entropy's truncation.
        public var topLogprobs: Int
        /// |V| the entropies are normalised by (`SegmentEntropy`), and the context the model holds.
        public var vocabularySize: Int
        public var contextLength: Int

        public init(model: String, sampling: SamplingSettings, topLogprobs: Int = 20, vocabularySize: Int, contextLength: Int) {
            self.model = model
            self.sampling = sampling
            self.topLogprobs = topLogprobs
            self.vocabularySize = vocabularySize
            self.contextLength = contextLength
        }
    }

    public let fleet: EndpointFleet
    public let settings: Settings
    public private(set) var statistics = SamplingStatistics()
    private let sampler: Sampler
    private var sequences: [Int: [Int]] = [:]
    private var nextHandle = 0

    public init(fleet: EndpointFleet, settings: Settings) throws {
        try settings.sampling.validate(source: "remote sampling")
        guard settings.topLogprobs >= 1 else {
            throw InputError("at least one top log-prob is needed for the entropies", source: "remote sampling", field: "top_logprobs")
        }
        self.fleet = fleet
        self.settings = settings
        sampler = Sampler(settings: settings.sampling)
    }

    public var entropyVocabularySize: Int { settings.vocabularySize }
    public var contextLength: Int { settings.contextLength }

    public func open(prompts: [[Int]]) throws -> [SequenceHandle] {
        prompts.map(store)
    }

    public func extend(_ requests: [(sequence: SequenceHandle, tokens: [Int])]) throws {
        for r in requests { sequences[r.sequence.rawValue]! += r.tokens }
    }

    public func fork(_ sequence: SequenceHandle) -> SequenceHandle {
        statistics.forks += 1
        return store(tokens(sequence))
    }

    public func release(_ sequence: SequenceHandle) {
        sequences[sequence.rawValue] = nil
    }

    public func generate(_ requests: [SegmentRequest], stop: StopCriteria) throws -> [GeneratedSegment] {
        var results = requests.map { GeneratedSegment(tokens: [], finish: .tokenLimit, generator: $0.generator) }
        let live = requests.indices.filter { requests[$0].maxTokens > 0 }
        let bodies = live.map { i -> JSONValue in
            var body: [String: JSONValue] = [
                "model": .string(settings.model), "prompt": .array(tokens(requests[i].sequence).map { .integer($0) }),
                "max_tokens": .integer(requests[i].maxTokens), "temperature": .number(Double(settings.sampling.temperature)),
                "top_p": .number(Double(settings.sampling.topP)), "logprobs": .integer(settings.topLogprobs),
                "return_tokens_as_token_ids": .bool(true), "skip_special_tokens": .bool(false),
                "include_stop_str_in_output": .bool(true),
            ]
            if settings.sampling.topK > 0 { body["top_k"] = .integer(settings.sampling.topK) }
            if !stop.stopStrings.isEmpty { body["stop"] = .array(stop.stopStrings.map(JSONValue.string)) }
            if !sampler.isGreedy { body["seed"] = .integer(Int(bitPattern: UInt(results[i].generator.next() >> 1))) }
            return .object(body)
        }
        let replies = try fleet.post("completions", bodies: bodies)
        for (i, (reply, source)) in zip(live, replies) {
            // The whole sequence is sent again: what a server without prefix caching prefills.
            statistics.prefillTokens += tokens(requests[i].sequence).count
            var scanner = StopCriteria.Scanner(stop)
            var stopped = false
            for token in try parse(reply, source: source) {
                results[i].tokens.append(token)
                if let finish = scanner.feed(token.token) {
                    results[i].finish = finish
                    stopped = true
                    break
                }
                if results[i].tokens.count == requests[i].maxTokens { break }
            }
            // A server that leaves the end token out of its reply still says why it stopped.
            let reason = reply.objectValue?["choices"]?.arrayValue?.first?.objectValue?["finish_reason"]?.stringValue
            if !stopped && reason == "stop" && results[i].tokens.count < requests[i].maxTokens { results[i].finish = .endToken }
            sequences[requests[i].sequence.rawValue]! += results[i].tokens.map(\.token)
            statistics.generatedTokens += results[i].tokens.count
            statistics.decodedSequences += 1
        }
        statistics.decodeSteps += live.isEmpty ? 0 : 1
        return results
    }

    /// The reply's tokens with their log-probs and entropies; a clear error when the server left out what is needed.
    private func parse(_ reply: JSONValue, source: String) throws -> [SampledToken] {
        guard let choice = reply.objectValue?["choices"]?.arrayValue?.first?.objectValue else {
            throw InputError("the reply has no choices", source: source)
        }
        guard let logprobs = choice["logprobs"]?.objectValue, let names = logprobs["tokens"]?.arrayValue,
              let values = logprobs["token_logprobs"]?.arrayValue, let tops = logprobs["top_logprobs"]?.arrayValue,
              names.count == values.count, tops.count == names.count else {
            throw InputError("the server returned no logprobs (tokens, token_logprobs, top_logprobs); the agent needs them "
                             + "for log-probs and entropies — use a server that supports 'logprobs' on /v1/completions", source: source)
        }
        return try names.indices.map { t in
            let token = try Self.tokenID(names[t], source: source)
            guard let logprob = values[t].doubleValue, let top = tops[t].objectValue, !top.isEmpty else {
                throw InputError("token \(t) has no log-prob or no top_logprobs", source: source)
            }
            let alternatives = try top.map { (try Self.tokenID(.string($0.key), source: source), Float($0.value.doubleValue ?? -.infinity)) }
            return sampled(token: token, logprob: Float(logprob), alternatives: alternatives)
        }
    }

    /// `token_id:N` → N.
    static func tokenID(_ name: JSONValue, source: String) throws -> Int {
        guard let text = name.stringValue, text.hasPrefix("token_id:"), let id = Int(text.dropFirst("token_id:".count)) else {
            throw InputError("the server does not name tokens by id (expected 'token_id:N', got \(name.serialized())); "
                             + "it must support 'return_tokens_as_token_ids'", source: source)
        }
        return id
    }

    /// Sampling log-prob and entropy over the truncated set `alternatives ∪ {token}` (see the type's notes).
    private func sampled(token: Int, logprob: Float, alternatives: [(Int, Float)]) -> SampledToken {
        var candidates = Dictionary(alternatives, uniquingKeysWith: { max($0, $1) })
        candidates[token] = logprob
        let ids = candidates.keys.sorted()
        let scores = ids.map { candidates[$0]! }
        let t = sampler.isGreedy ? 1 : settings.sampling.temperature
        let top = scores.max()!
        let weights = scores.map { exp(Double(($0 - top) / t)) }
        let total = weights.reduce(0, +)
        let entropy = -zip(weights, scores).reduce(0.0) { sum, pair in
            let p = pair.0 / total
            return p > 0 ? sum + p * log(p) : sum
        }
        var logProb: Float = 0
        let sampling = settings.sampling
        if sampling.temperature == 1 && sampling.topP >= 1 && (sampling.topK == 0 || sampling.topK >= settings.vocabularySize) {
            logProb = logprob
        } else if !sampler.isGreedy {
            var kept = LogitCandidates(tokens: ids, scores: scores)
            for processor in sampler.processors { processor.process(&kept) }
            let m = kept.scores.max() ?? 0
            let normaliser = m + Float(log(kept.scores.reduce(0.0) { $0 + exp(Double($1 - m)) }))
            logProb = kept.tokens.firstIndex(of: token).map { kept.scores[$0] - normaliser } ?? -.infinity
        }
        return SampledToken(token: token, logProb: logProb, policyLogProb: logprob, entropy: Float(max(0, entropy)))
    }

    private func store(_ tokens: [Int]) -> SequenceHandle {
        let handle = SequenceHandle(rawValue: nextHandle)
        nextHandle += 1
        sequences[handle.rawValue] = tokens
        return handle
    }

    private func tokens(_ handle: SequenceHandle) -> [Int] {
        guard let tokens = sequences[handle.rawValue] else { preconditionFailure("sequence \(handle.rawValue) is not open") }
        return tokens
    }
}
