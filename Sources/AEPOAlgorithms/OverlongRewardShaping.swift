/// DAPO's soft overlong punishment: within the last `bufferLength` tokens before the maximum response
/// length the reward decreases linearly to `−penaltyFactor`:
///
///     expected = maxLength − bufferLength
///     penalty  = min(−(length − expected) / bufferLength · penaltyFactor, 0)
///
/// (verl's DAPO reward manager; added to the score).
public struct OverlongRewardShaping: Equatable, Sendable {
    public var maxLength: Int
    public var bufferLength: Int
    public var penaltyFactor: Double

    public init(maxLength: Int, bufferLength: Int, penaltyFactor: Double = 1) {
        precondition(bufferLength >= 1 && bufferLength <= maxLength, "0 < buffer ≤ max length")
        self.maxLength = maxLength
        self.bufferLength = bufferLength
        self.penaltyFactor = penaltyFactor
    }

    /// The penalty (≤ 0) for a response of `length` generated tokens.
    public func penalty(length: Int) -> Double {
        let exceed = Double(length - (maxLength - bufferLength))
        return min(-exceed / Double(bufferLength) * penaltyFactor, 0)
    }

    /// `score + penalty(length)`.
    public func shaped(score: Double, length: Int) -> Double {
        score + penalty(length: length)
    }
}
