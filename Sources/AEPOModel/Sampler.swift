import AEPOCore
import AEPOKernels
import Foundation

/// How the next token is chosen from a logits row.
public struct SamplingSettings: Equatable, Sendable, Codable {
    /// `T`; `0` means greedy (arg-max, ties to the lower token id).
    public var temperature: Float
    /// Keep only the `topK` highest logits; `0` disables the filter.
    public var topK: Int
    /// Nucleus mass `p` in (0, 1]; `1` disables the filter.
    public var topP: Float

    public init(temperature: Float = 1, topK: Int = 0, topP: Float = 1) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
    }

    public static let greedy = SamplingSettings(temperature: 0)

    /// Throws an `InputError` (naming `source` and the field) for values outside their ranges.
    public func validate(source: String = "sampling settings") throws {
        guard temperature >= 0, temperature.isFinite else {
            throw InputError("temperature must be a finite number ≥ 0, got \(temperature)", source: source, field: "temperature")
        }
        guard topK >= 0 else {
            throw InputError("top_k must be ≥ 0 (0 disables it), got \(topK)", source: source, field: "top_k")
        }
        guard topP > 0, topP <= 1 else {
            throw InputError("top_p must be in (0, 1], got \(topP)", source: source, field: "top_p")
        }
    }
}

/// One sampled token and the quantities the rollout records for it.
///
/// With raw logits `z` over the vocabulary `V` and temperature `T`:
/// - `logProb` = `log q(token)` where `q` is the distribution the token was actually drawn
///   from: `softmax(z / T)` restricted to the tokens that survive top-k then top-p and
///   renormalised over them. Greedy decoding draws from a point mass, so `logProb` = 0.
/// - `policyLogProb` = `log softmax(z)[token]`, the untempered policy.
/// - `entropy` = `H = −Σ_{v∈V} p(v) log p(v)` with `p = softmax(z / T)` over the full vocabulary,
///   before any filtering (greedy uses `T = 1`). In nats; `H ≤ log |V|`.
public struct SampledToken: Equatable, Sendable {
    public var token: Int
    public var logProb: Float
    public var policyLogProb: Float
    public var entropy: Float

    public init(token: Int, logProb: Float, policyLogProb: Float, entropy: Float) {
        self.token = token
        self.logProb = logProb
        self.policyLogProb = policyLogProb
        self.entropy = entropy
    }
}

/// Draws tokens from logits rows: temperature, then top-k, then top-p, then a seeded draw.
public struct Sampler: Sendable {
    public let settings: SamplingSettings
    /// The processors applied in order to the full-vocabulary candidates (temperature first).
    public let processors: [any LogitsProcessor]

    /// Builds the pipeline; the settings must be valid (see `SamplingSettings.validate`).
    public init(settings: SamplingSettings) {
        precondition((try? settings.validate()) != nil, "invalid sampling settings \(settings)")
        self.settings = settings
        var processors: [any LogitsProcessor] = []
        if settings.temperature > 0 {
            processors.append(TemperatureWarper(temperature: settings.temperature))
            if settings.topK > 0 { processors.append(TopKFilter(k: settings.topK)) }
            if settings.topP < 1 { processors.append(TopPFilter(p: settings.topP)) }
        }
        self.processors = processors
    }

    public var isGreedy: Bool { settings.temperature == 0 }

    /// True when only the temperature shapes the distribution over `vocabularySize` tokens
    /// (no top-k or top-p cut).
    private func samplesFullVocabulary(_ vocabularySize: Int) -> Bool {
        settings.topP >= 1 && (settings.topK == 0 || settings.topK >= vocabularySize)
    }

    /// Samples one token from a full-vocabulary logits row; advances `generator` by one draw
    /// (none when greedy).
    public func sample(_ logits: UnsafeBufferPointer<Float>, using generator: inout SeededGenerator) -> SampledToken {
        precondition(!logits.isEmpty, "empty logits row")
        let v = logits.count
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * v) { scratch in
            let tempered = TemperedSoftmax(logits, temperature: isGreedy ? 1 : settings.temperature,
                                           scaled: scratch.baseAddress!, weights: scratch.baseAddress! + v)
            let token: Int, logProb: Float
            if isGreedy {
                (token, logProb) = (Self.argmax(logits), 0)
            } else if samplesFullVocabulary(v) {
                token = tempered.draw(using: &generator)
                logProb = tempered.logProbability(token)
            } else {
                var candidates = LogitCandidates(logits: logits)
                for processor in processors { processor.process(&candidates) }
                let (index, p) = Self.draw(from: candidates, using: &generator)
                (token, logProb) = (candidates.tokens[index], p)
            }
            return SampledToken(
                token: token, logProb: logProb,
                policyLogProb: logits[token] - tempered.untemperedLogNormalizer(logits), entropy: tempered.entropy)
        }
    }

    /// Samples from row `row` of a row-major `[rows × vocabulary]` logits matrix.
    public func sample(_ logits: [Float], row: Int, vocabularySize: Int, using generator: inout SeededGenerator) -> SampledToken {
        precondition(row >= 0 && (row + 1) * vocabularySize <= logits.count, "logits row \(row) out of range")
        return logits.withUnsafeBufferPointer { all in
            sample(UnsafeBufferPointer(rebasing: all[row * vocabularySize ..< (row + 1) * vocabularySize]), using: &generator)
        }
    }

    /// Index of the largest logit, the lowest on ties.
    static func argmax(_ z: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        for i in 1..<z.count where z[i] > z[best] { best = i }
        return best
    }

    /// Draws an index from `softmax(scores)` by inverse CDF with one uniform; returns it and
    /// its log-probability.
    static func draw(from c: LogitCandidates, using generator: inout SeededGenerator) -> (index: Int, logProb: Float) {
        var top = -Float.infinity
        for s in c.scores { top = max(top, s) }
        var weights = [Double](repeating: 0, count: c.count)
        var total = 0.0
        for i in 0..<c.count {
            weights[i] = Double(expf(c.scores[i] - top))
            total += weights[i]
        }
        let u = generator.nextDouble() * total
        var cumulative = 0.0
        var chosen = c.count - 1
        for i in 0..<c.count {
            cumulative += weights[i]
            if u < cumulative {
                chosen = i
                break
            }
        }
        while weights[chosen] == 0 { chosen -= 1 }  // u landed in rounding slack past the end
        return (chosen, Float(log(weights[chosen] / total)))
    }
}

/// `p = softmax(z / T)` over a full logits row, computed once with vectorised `exp`:
/// `y = (z − max z) / T` in `scaled`, `e^y` in `weights`, `S = Σ e^y`, and the entropy
/// `H = log S − Σ e^y·y / S`.
private struct TemperedSoftmax {
    let scaled: UnsafeMutablePointer<Float>
    let weights: UnsafeMutablePointer<Float>
    let count: Int
    let top: Float
    let temperature: Float
    let sum: Float
    let entropy: Float

    init(_ z: UnsafeBufferPointer<Float>, temperature: Float, scaled: UnsafeMutablePointer<Float>, weights: UnsafeMutablePointer<Float>) {
        let n = z.count
        let top = Reduction.maximum(z.baseAddress!, n)
        let inverse = 1 / temperature
        // Clamped so that masked (−∞) logits give e^y·y = 0·(finite) rather than NaN.
        for i in 0..<n { scaled[i] = max((z[i] - top) * inverse, -Float.greatestFiniteMagnitude) }
        weights.update(from: scaled, count: n)
        let sum = VectorMath.expInPlace(weights, count: n)
        let weighted = Reduction.dot(weights, scaled, n)
        (self.scaled, self.weights, self.count, self.top, self.temperature, self.sum) = (scaled, weights, n, top, temperature, sum)
        entropy = max(0, log(sum) - weighted / sum)
    }

    /// `log p(token)`.
    func logProbability(_ token: Int) -> Float { scaled[token] - log(sum) }

    /// `log Σ_v exp(z_v)`, the normaliser of the untempered policy.
    func untemperedLogNormalizer(_ z: UnsafeBufferPointer<Float>) -> Float {
        if temperature == 1 { return top + log(sum) }
        var total = 0.0
        for x in z { total += Double(expf(x - top)) }
        return top + Float(log(total))
    }

    /// A token drawn from `p` by inverse CDF with one uniform.
    func draw(using generator: inout SeededGenerator) -> Int {
        let u = generator.nextDouble() * Double(sum)
        var cumulative = 0.0
        for i in 0..<count {
            cumulative += Double(weights[i])
            if u < cumulative { return i }
        }
        var last = count - 1  // u fell in the rounding slack past the end
        while weights[last] == 0 { last -= 1 }
        return last
    }
}
