/// Divides every score by the temperature `T > 0`: sampling then follows `softmax(z / T)`.
public struct TemperatureWarper: LogitsProcessor {
    public let temperature: Float

    public init(temperature: Float) {
        precondition(temperature > 0 && temperature.isFinite, "temperature must be positive and finite")
        self.temperature = temperature
    }

    public func process(_ candidates: inout LogitCandidates) {
        guard temperature != 1 else { return }
        let inverse = 1 / temperature
        for i in candidates.scores.indices { candidates.scores[i] *= inverse }
    }
}
