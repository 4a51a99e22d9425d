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
    /// Forward passes the model ran for prefills and decode steps: one per call, or more for a call over more tokens
    /// than the engine's pass size (`InferenceEngine.maxTokensPerPass`); 0 for a backend whose server runs the passes.
    public var passes = 0

    public init() {}
}
