/// One generated token of a choice as the scheduler reports it.
public struct GeneratedToken: Sendable {
    public var token: Int
    /// `log softmax(z)[token]`.
    public var logprob: Float
    /// The most likely tokens with their log-probs, best first (empty unless asked for).
    public var top: [(token: Int, logprob: Float)]
    /// Text settled with this token (may be empty).
    public var text: String
}

public enum FinishReason: String, Sendable {
    /// An end token or a stop string.
    case stop
    /// `max_tokens` or the model's context.
    case length
}

/// What `GenerationScheduler` streams to a request.
public enum GenerationEvent: Sendable {
    case token(choice: Int, GeneratedToken)
    /// The choice ended with its last token (whose text settled everything left).
    case finished(choice: Int, reason: FinishReason)
    case failed(String)
}
