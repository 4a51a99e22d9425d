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
