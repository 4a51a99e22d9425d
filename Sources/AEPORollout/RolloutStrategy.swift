/// How a question's `k` trajectories are sampled (spec §1).
public enum RolloutStrategy: String, CaseIterable, Sendable {
    /// `k` independent trajectories (§1.1).
    case independent
    /// ARPO's entropy-based adaptive branching from `m` roots (§1.2).
    case arpo
    /// AEPO: entropy pre-monitoring of `m` and the consecutive-branch penalty (§1.3).
    case aepo
}
