import AEPOCore

/// The eight named algorithms (docs/algorithm.md §7): AEPO and the seven it is measured against. Each is a complete
/// `AlgorithmConfig` built on the shared defaults (the authors' deep-search setup, docs/algorithm.md §8: k = 12, m = 6,
/// 64 questions per step in mini-batches of 8, 6 tool calls, 6192 response tokens, lr 1e-6 constant with
/// weight decay 0.01, gradient-norm clip 1.0, one PPO epoch, temperature 1.0, no KL term, no entropy bonus);
/// any key can then be overridden by name.
public enum AlgorithmPreset: String, CaseIterable, NamedRegistry, Sendable {
    /// Group-normalised advantages; PPO clip ε = 0.2 on both sides; token-mean. The KL (k3) loss to a
    /// reference is available (`actor.use_kl_loss=true`) but off, as in the authors' comparisons.
    case grpo
    /// DAPO: clip-higher (ε_l 0.2, ε_h 0.28), token-mean, no KL, dynamic sampling (all-equal groups are dropped
    /// and the batch refilled), soft overlong penalty over the last 1024 tokens with factor 1.0.
    case dapo
    /// REINFORCE++: the return whitened over the whole batch (no per-group std); PPO clip 0.2.
    case reinforcePlusPlus = "reinforce++"
    /// GSPO: sequence ratio `exp(mean log δ)` clipped to [1 − 3e-4, 1 + 4e-4]; group-normalised advantages;
    /// seq-mean-token-mean.
    case gspo
    /// CISPO: `−sg(clip(δ, 1 − 0.2, 1 + 0.28))·A·log π`, every token keeps a gradient; group-normalised.
    case cispo
    /// CE-GPPO: gradient-preserving clip on both sides with β₁ = 0.5 (low side), β₂ = 1.0 (high side), ε = 0.2.
    case gppo
    /// ARPO: entropy-based adaptive branching from m = 6 roots (α = 0.5, γ = 0.2, no penalty);
    /// group-normalised over the tree; PPO clip 0.2.
    case arpo
    /// AEPO: entropy pre-monitoring of m (β = 0.5), consecutive-branch penalty λ = 0.05 per path (paper form),
    /// entropy-aware advantage a = 0.2, EBPO clip ε = 0.2 with dual clip c = 3, token-mean.
    case aepo

    public static let noun = "algorithm"
    public static let defaultField: String? = "algorithm"

    /// The preset's configuration.
    public var config: AlgorithmConfig {
        var c = AlgorithmConfig(name: rawValue)
        switch self {
        case .grpo, .arpo:
            break
        case .dapo:
            c.actor.clipRatioHigh = 0.28
            c.algorithm.filterGroups = true
            c.algorithm.overlongBuffer = true
        case .reinforcePlusPlus:
            c.algorithm.advEstimator = "reinforce++"
        case .gspo:
            c.actor.policyLoss = "gspo"
            c.actor.clipRatioLow = 3e-4
            c.actor.clipRatioHigh = 4e-4
            c.actor.lossAggMode = .seqMeanTokenMean
        case .cispo:
            c.actor.policyLoss = "cispo"
            c.actor.clipRatioHigh = 0.28
        case .gppo:
            c.actor.policyLoss = "gppo"
            c.actor.gppoBetaLow = 0.5
            c.actor.gppoBetaHigh = 1.0
        case .aepo:
            c.actor.policyLoss = "ebpo"
            c.algorithm.entropyAdvantageCoef = EntropyAwareAdvantage.defaultCoefficient
            c.rollout.preMonitor = true
            c.rollout.branch.penalty = 0.05
        }
        switch self {
        case .arpo: c.rollout.strategy = .arpo
        case .aepo: c.rollout.strategy = .aepo
        default: c.rollout.strategy = .independent
        }
        return c
    }

    /// `config` with `key=value` overrides applied in order.
    public func config(overrides: [String], source: String = "override") throws -> AlgorithmConfig {
        var c = config
        try c.apply(overrides: overrides, source: source)
        return c
    }
}
