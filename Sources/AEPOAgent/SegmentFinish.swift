/// Why a segment ended.
public enum SegmentFinish: Equatable, Sendable {
    /// The last token is one of `StopCriteria.endTokens` (EOS).
    case endToken
    /// The decoded segment contains this stop string (it ends within the last token).
    case stopString(String)
    /// `maxTokens` tokens were generated without a stop.
    case tokenLimit
}
