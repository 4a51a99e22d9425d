import Foundation

/// Per-token estimators of KL(π_θ ‖ π_ref) from the sampled token's log-probs (verl's `kl_penalty`;
/// J. Schulman, "Approximating KL divergence", 2020), with the gradient with respect to log π_θ.
public enum KLPenalty: String, CaseIterable, Sendable {
    /// `log π − log π_ref`; gradient 1.
    case k1
    /// `½ (log π − log π_ref)²`; gradient `log π − log π_ref`.
    case k2
    /// `e^κ − κ − 1` with `κ = clamp(log π_ref − log π, ±20)`, clamped to ±10; gradient `1 − e^κ` (0 where clamped).
    case k3

    /// `(value, d value / d logProb)` for one token.
    public func term(logProb: Double, refLogProb: Double) -> (value: Double, gradient: Double) {
        let d = logProb - refLogProb
        switch self {
        case .k1:
            return (d, 1)
        case .k2:
            return (0.5 * d * d, d)
        case .k3:
            let kappa = min(max(-d, -20), 20)
            let value = exp(kappa) - kappa - 1
            let inside = abs(d) <= 20 && abs(value) <= 10
            return (min(max(value, -10), 10), inside ? 1 - exp(kappa) : 0)
        }
    }

    /// Per-token values and gradients over a batch (masked positions included; the aggregation masks them).
    public func terms(logProbs: TokenMatrix, refLogProbs: TokenMatrix) -> (values: TokenMatrix, gradients: TokenMatrix) {
        let pairs = zip(logProbs.values, refLogProbs.values).map { term(logProb: $0, refLogProb: $1) }
        return (TokenMatrix(rows: logProbs.rows, columns: logProbs.columns, values: pairs.map(\.value)),
                TokenMatrix(rows: logProbs.rows, columns: logProbs.columns, values: pairs.map(\.gradient)))
    }

    /// KL in the reward (verl's `apply_kl_penalty`): `r_t − β · KL_t · m_t`, with KL from the rollout log-probs.
    public func penalizedRewards(_ tokenRewards: TokenMatrix, logProbs: TokenMatrix, refLogProbs: TokenMatrix,
                                 mask: TokenMatrix, coefficient beta: Double) -> TokenMatrix {
        var out = tokenRewards
        for i in out.values.indices where mask.values[i] > 0 {
            out.values[i] -= beta * term(logProb: logProbs.values[i], refLogProb: refLogProbs.values[i]).value * mask.values[i]
        }
        return out
    }
}
