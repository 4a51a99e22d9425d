/// How a question's `k` trajectories are sampled (docs/algorithm.md §2).
public enum RolloutStrategy: String, CaseIterable, Sendable {
    /// `k` independent trajectories (docs/algorithm.md §2.1).
    case independent
    /// ARPO's entropy-based adaptive branching from `m` roots (docs/algorithm.md §2.2).
    case arpo
    /// AEPO: entropy pre-monitoring of `m` and the consecutive-branch penalty (docs/algorithm.md §2.3).
    case aepo
}
