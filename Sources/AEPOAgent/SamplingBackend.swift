import AEPOCore
import AEPOModel

/// An open sequence of a `SamplingBackend` (a prompt and everything appended or generated after it).
public struct SequenceHandle: Hashable, Sendable {
    public let rawValue: Int

    public init(rawValue: Int) {
        self.rawValue = rawValue
    }
}

/// One sequence to extend by one segment in `SamplingBackend.generate`.
public struct SegmentRequest: Sendable {
    public var sequence: SequenceHandle
    /// At most this many tokens are generated (0 returns an empty segment at once).
    public var maxTokens: Int
    /// The trajectory's own random stream: every draw for this sequence comes from it, so a
    /// segment does not depend on which other sequences share the batch.
    public var generator: SeededGenerator

    public init(sequence: SequenceHandle, maxTokens: Int, generator: SeededGenerator) {
        self.sequence = sequence
        self.maxTokens = maxTokens
        self.generator = generator
    }
}

/// Why a segment ended.
public enum SegmentFinish: Equatable, Sendable {
    /// The last token is one of `StopCriteria.endTokens` (EOS).
    case endToken
    /// The decoded segment contains this stop string (it ends within the last token).
    case stopString(String)
    /// `maxTokens` tokens were generated without a stop.
    case tokenLimit
}

/// What `SamplingBackend.generate` returns for one request.
public struct GeneratedSegment: Sendable {
    /// Per generated token: the token, its sampling log-prob, the untempered policy log-prob and
    /// the full-distribution entropy (see `SampledToken`).
    public var tokens: [SampledToken]
    public var finish: SegmentFinish
    /// The request's generator after the segment's draws; the trajectory continues from it.
    public var generator: SeededGenerator

    public init(tokens: [SampledToken], finish: SegmentFinish, generator: SeededGenerator) {
        self.tokens = tokens
        self.finish = finish
        self.generator = generator
    }
}

/// Token counts of a backend since it was made.
public struct SamplingStatistics: Equatable, Sendable, Codable {
    /// Tokens the model prefilled, as the engine counts them (prompts, appended tool results, deferred
    /// tokens, and any prefix a fork recomputed).
    public var prefillTokens = 0
    /// Sampled tokens run by a later prefill rather than a decode step: a segment's last token, run
    /// together with the tool result appended after it.
    public var deferredTokens = 0
    /// Tokens sampled by `generate`.
    public var generatedTokens = 0
    /// Batched model passes run by `generate`, and the sequences they advanced in total.
    public var decodeSteps = 0
    public var decodedSequences = 0
    public var forks = 0

    public init() {}
}

/// The model as the agent loop samples from it, one *segment* at a time (the text between two tool
/// results), so that the native engine and a remote OpenAI-compatible server are interchangeable.
///
/// A sequence is opened from prompt tokens, extended with tokens the environment wrote (a tool
/// result), forked (the child shares everything so far and continues on its own; a native backend
/// shares the KV cache and recomputes nothing), and released. `generate` advances many sequences
/// at once, each until a stop or its token limit; generated tokens become part of the sequence.
/// Not thread-safe: one loop drives a backend.
public protocol SamplingBackend: AnyObject {
    /// |V| of the distribution the reported entropies are computed over (for `SegmentEntropy`).
    var entropyVocabularySize: Int { get }
    /// The most positions a sequence may hold (prompt + everything appended and generated).
    var contextLength: Int { get }
    var statistics: SamplingStatistics { get }

    /// Opens one sequence per prompt (non-empty token lists), prefilled together.
    func open(prompts: [[Int]]) throws -> [SequenceHandle]
    /// Appends each request's tokens (non-empty) to its sequence, all in one pass.
    func extend(_ requests: [(sequence: SequenceHandle, tokens: [Int])]) throws
    /// A new sequence holding everything `sequence` holds.
    func fork(_ sequence: SequenceHandle) -> SequenceHandle
    func release(_ sequence: SequenceHandle)
    /// Generates the next segment of each request's sequence (distinct sequences), batching all
    /// unfinished ones into each model step; a segment ends at `stop` or at its `maxTokens`.
    /// Results are in request order.
    func generate(_ requests: [SegmentRequest], stop: StopCriteria) throws -> [GeneratedSegment]
}
