/// What one `aepo serve` accepts; anything beyond is answered with a 4xx before it reaches the engine.
public struct ServeLimits: Sendable {
    /// Largest request body in bytes (413 beyond).
    public var maxBodyBytes: Int
    /// Largest `max_tokens` (400 beyond); also the default for chat requests.
    public var maxTokens: Int
    /// Longest prompt in tokens (400 beyond; the model's context also bounds prompt + completion).
    public var maxPromptTokens: Int
    /// Requests generating at once, queued ones included (429 beyond).
    public var maxConcurrentRequests: Int
    /// Largest `n`.
    public var maxChoices: Int
    /// Largest `logprobs` / `top_logprobs`.
    public var maxTopLogprobs: Int

    public init(maxBodyBytes: Int = 1 << 20, maxTokens: Int = 1024, maxPromptTokens: Int = 8192,
                maxConcurrentRequests: Int = 64, maxChoices: Int = 8, maxTopLogprobs: Int = 20) {
        self.maxBodyBytes = maxBodyBytes
        self.maxTokens = maxTokens
        self.maxPromptTokens = maxPromptTokens
        self.maxConcurrentRequests = maxConcurrentRequests
        self.maxChoices = maxChoices
        self.maxTopLogprobs = maxTopLogprobs
    }
}
