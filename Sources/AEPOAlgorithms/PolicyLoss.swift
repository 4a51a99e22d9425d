import AEPOCore
import Foundation

/// The B×T tensors every policy loss reads (all detached except `logProbs`).
public struct PolicyLossInput: Sendable {
    /// log π_old of each sampled token (from the rollout policy).
    public var oldLogProbs: TokenMatrix
    /// log π_θ of each sampled token under the policy being trained: the variable of the gradient.
    public var logProbs: TokenMatrix
    public var advantages: TokenMatrix
    public var mask: TokenMatrix

    public init(oldLogProbs: TokenMatrix, logProbs: TokenMatrix, advantages: TokenMatrix, mask: TokenMatrix) {
        precondition(oldLogProbs.hasShape(of: mask) && logProbs.hasShape(of: mask) && advantages.hasShape(of: mask),
                     "policy-loss inputs must share one B×T shape")
        self.oldLogProbs = oldLogProbs
        self.logProbs = logProbs
        self.advantages = advantages
        self.mask = mask
    }
}

/// Clip ratios and loss-specific coefficients (verl's `actor.clip_ratio_*`).
public struct PolicyLossSettings: Equatable, Sendable {
    /// ε_l: the ratio's lower bound is `1 − ε_l`.
    public var clipRatioLow: Double = 0.2
    /// ε_h: the ratio's upper bound is `1 + ε_h`.
    public var clipRatioHigh: Double = 0.2
    /// c of the dual clip for negative advantages: the loss is at most `−c·A`.
    public var clipRatioC: Double = 3
    /// CE-GPPO's β₁ (scales the gradient kept below `1 − ε_l`).
    public var gppoBetaLow: Double = 1
    /// CE-GPPO's β₂ (scales the gradient kept above `1 + ε_h`).
    public var gppoBetaHigh: Double = 1

    public init(clipRatioLow: Double = 0.2, clipRatioHigh: Double = 0.2, clipRatioC: Double = 3,
                gppoBetaLow: Double = 1, gppoBetaHigh: Double = 1) {
        self.clipRatioLow = clipRatioLow
        self.clipRatioHigh = clipRatioHigh
        self.clipRatioC = clipRatioC
        self.gppoBetaLow = gppoBetaLow
        self.gppoBetaHigh = gppoBetaHigh
    }
}

/// Per-token loss terms before aggregation.
public struct TokenLoss: Sendable {
    /// `L_bt`.
    public var values: TokenMatrix
    /// `dL_bt / d log π_θ(o_bt)` (every loss here depends on a token's log-prob only through its own term).
    public var gradients: TokenMatrix
    /// The ratio the loss clips: the token ratio δ, or GSPO's sequence ratio s broadcast over tokens.
    public var ratios: TokenMatrix
}

/// An aggregated policy loss with its gradient and clipping statistics.
public struct PolicyLossResult: Sendable {
    public var loss: Double
    /// `d loss / d log π_θ`, B×T.
    public var gradLogProbs: TokenMatrix
    public var statistics: ClipStatistics
}

/// A named token-level policy loss (the registry of verl's `core_algos`); each entry is one short function
/// returning per-token values and closed-form gradients, aggregated in one place by `LossAggregation`.
public struct PolicyLoss: NamedRegistry, Sendable {
    public static let noun = "policy loss"
    public static let defaultField: String? = "loss"

    public let name: String
    private let perToken: @Sendable (PolicyLossInput, PolicyLossSettings) -> TokenLoss

    public init(name: String, perToken: @escaping @Sendable (PolicyLossInput, PolicyLossSettings) -> TokenLoss) {
        self.name = name
        self.perToken = perToken
    }

    /// Per-token values, gradients and clipped ratios.
    public func tokenLoss(_ input: PolicyLossInput, settings: PolicyLossSettings) -> TokenLoss {
        perToken(input, settings)
    }

    /// The aggregated loss, its gradient with respect to `logProbs`, and the clip statistics.
    /// `tokenCount`/`sequenceCount` are the global divisors when a mini-batch is split (see `LossAggregation`);
    /// `tokenWeights` multiplies each token's term (the rollout correction's importance weights, docs/algorithm.md §5.11).
    public func callAsFunction(_ input: PolicyLossInput, settings: PolicyLossSettings, aggregation: LossAggregation,
                               tokenCount: Double? = nil, sequenceCount: Double? = nil,
                               tokenWeights: TokenMatrix? = nil) -> PolicyLossResult {
        let terms = tokenLoss(input, settings: settings)
        var weights = aggregation.weights(mask: input.mask, tokenCount: tokenCount, sequenceCount: sequenceCount)
        if let tokenWeights { weights = weights.combined(with: tokenWeights, *) }
        let loss = zip(weights.values, terms.values.values).reduce(0) { $1.0 == 0 ? $0 : $0 + $1.0 * $1.1 }
        return PolicyLossResult(
            loss: loss,
            gradLogProbs: weights.combined(with: terms.gradients) { $0 == 0 ? 0 : $0 * $1 },
            statistics: ClipStatistics(ratios: terms.ratios, input: input, settings: settings))
    }

    /// Every registered loss.
    public static let all: [PolicyLoss] = [ppoClip, gspo, cispo, gppo, ebpo]

    /// PPO clip with dual clip (verl `vanilla`): `L = max(−Aδ, −A·clip(δ, 1−ε_l, 1+ε_h))`, and for `A < 0`
    /// `L = min(L, −cA)`. Gradient `−Aδ` where the unclipped term is active, 0 where a clip is.
    public static let ppoClip = PolicyLoss(name: "ppo-clip") { input, s in
        tokenwise(input) { ratio, a, _ in
            let clipped = min(max(ratio, 1 - s.clipRatioLow), 1 + s.clipRatioHigh)
            let unclippedActive = -a * clipped <= -a * ratio
            let (value, grad) = unclippedActive ? (-a * ratio, -a * ratio) : (-a * clipped, 0)
            return dualClipped(value, grad, a, s)
        }
    }

    /// GSPO (verl `gspo`): the sequence ratio `s = exp(mean_t log δ_t)` (clamped at e¹⁰), used at every token as
    /// `sg(s)·π/sg(π)`; `L = max(−A·s, −A·clip(s, 1−ε_l, 1+ε_h))`, no dual clip. Gradient `−A·s` when unclipped.
    public static let gspo = PolicyLoss(name: "gspo") { input, s in
        let mask = input.mask
        var values = TokenMatrix(rows: mask.rows, columns: mask.columns)
        var grads = values, ratios = values
        for b in 0..<mask.rows {
            var sum = 0.0, count = 0.0
            for t in 0..<mask.columns where mask[b, t] > 0 {
                sum += (input.logProbs[b, t] - input.oldLogProbs[b, t]) * mask[b, t]
                count += mask[b, t]
            }
            let logRatio = sum / max(count, 1)
            let ratio = exp(min(logRatio, 10))
            let slope = logRatio < 10 ? ratio : 0
            let clipped = min(max(ratio, 1 - s.clipRatioLow), 1 + s.clipRatioHigh)
            for t in 0..<mask.columns {
                let a = input.advantages[b, t]
                let unclippedActive = -a * clipped <= -a * ratio
                values[b, t] = unclippedActive ? -a * ratio : -a * clipped
                grads[b, t] = unclippedActive ? -a * slope : 0
                ratios[b, t] = ratio
            }
        }
        return TokenLoss(values: values, gradients: grads, ratios: ratios)
    }

    /// CISPO (verl `cispo`): `L = −sg(clip(δ, 1−ε_l, 1+ε_h))·A·log π_θ`; every token keeps the gradient
    /// `−clip(δ)·A`.
    public static let cispo = PolicyLoss(name: "cispo") { input, s in
        tokenwise(input, ratioCarriesGradient: false) { ratio, a, index in
            let weight = min(max(ratio, 1 - s.clipRatioLow), 1 + s.clipRatioHigh)
            return (-weight * a * input.logProbs.values[index], -weight * a)
        }
    }

    /// CE-GPPO: gradient-preserving clip on both sides. Below `1−ε_l` with `A < 0`:
    /// `L = −β₁(1−ε_l)·A·δ/sg(δ)`; above `1+ε_h` with `A > 0`: `L = −β₂(1+ε_h)·A·δ/sg(δ)`; otherwise `−Aδ`;
    /// then the dual clip.
    public static let gppo = PolicyLoss(name: "gppo") { input, s in
        tokenwise(input) { ratio, a, _ in
            let value: Double
            if ratio < 1 - s.clipRatioLow && a < 0 {
                value = -s.gppoBetaLow * (1 - s.clipRatioLow) * a
            } else if ratio > 1 + s.clipRatioHigh && a > 0 {
                value = -s.gppoBetaHigh * (1 + s.clipRatioHigh) * a
            } else {
                value = -a * ratio
            }
            return dualClipped(value, value, a, s)
        }
    }

    /// EBPO (docs/algorithm.md §5.3): PPO's value with the upper bound `(1+ε_h)·δ/sg(δ)`, so the gradient is `−F·A` with
    /// `F = 1+ε_h` when `δ > 1+ε_h, A > 0`; `F = 0` when `δ < 1−ε_l, A < 0`; `F = δ` otherwise; then the dual clip.
    public static let ebpo = PolicyLoss(name: "ebpo") { input, s in
        tokenwise(input) { ratio, a, _ in
            let (clipped, clippedSlope): (Double, Double)
            if ratio > 1 + s.clipRatioHigh {
                (clipped, clippedSlope) = (1 + s.clipRatioHigh, 1 + s.clipRatioHigh)
            } else if ratio < 1 - s.clipRatioLow {
                (clipped, clippedSlope) = (1 - s.clipRatioLow, 0)
            } else {
                (clipped, clippedSlope) = (ratio, ratio)
            }
            let unclippedActive = -a * clipped <= -a * ratio
            let (value, grad) = unclippedActive ? (-a * ratio, -a * ratio) : (-a * clipped, -a * clippedSlope)
            return dualClipped(value, grad, a, s)
        }
    }

    /// For `A < 0`, `min(L, −c·A)`: past the bound the loss is constant (gradient 0).
    private static func dualClipped(_ value: Double, _ grad: Double, _ a: Double, _ s: PolicyLossSettings) -> (Double, Double) {
        guard a < 0, -a * s.clipRatioC < value else { return (value, grad) }
        return (-a * s.clipRatioC, 0)
    }

    /// Applies `body(δ, A, index) → (L, dL/dlog π_θ)` at every token, with
    /// `δ = exp(clamp(log π_θ − log π_old, ±20))` (verl's clamp). When the gradient flows through δ it is 0
    /// outside the clamp.
    private static func tokenwise(_ input: PolicyLossInput, ratioCarriesGradient: Bool = true,
                                  _ body: (Double, Double, Int) -> (Double, Double)) -> TokenLoss {
        let mask = input.mask
        var values = TokenMatrix(rows: mask.rows, columns: mask.columns)
        var grads = values, ratios = values
        for i in values.values.indices {
            let logRatio = input.logProbs.values[i] - input.oldLogProbs.values[i]
            let ratio = exp(min(max(logRatio, -20), 20))
            let (value, grad) = body(ratio, input.advantages.values[i], i)
            values.values[i] = value
            grads.values[i] = !ratioCarriesGradient || abs(logRatio) <= 20 ? grad : 0
            ratios.values[i] = ratio
        }
        return TokenLoss(values: values, gradients: grads, ratios: ratios)
    }
}
