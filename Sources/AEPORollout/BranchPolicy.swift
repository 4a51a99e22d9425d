import AEPOCore

/// Whether a trajectory branches after a tool result (docs/algorithm.md §2.5), with the probability behind the
/// decision so every branch event can be logged.
///
/// - ARPO: `P = clip(α + γ·ΔH, 0, 1)` (λ = 0).
/// - AEPO (`paper` form, default): `P = clip((α + γ·ΔH)(1 − λ·l), 0, 1)`, `l` the consecutive-branch counter.
/// - AEPO (`released` form): draw `U ~ Uniform(0,1)` and branch when `(U + γ·ΔH)(1 − λ·l) ≥ τ`.
public struct BranchPolicy: Equatable, Sendable {
    /// Which rule turns ΔH and l into a decision.
    public enum PenaltyForm: String, CaseIterable, Sendable {
        case paper
        case released
    }

    /// Which trajectories share a consecutive-branch counter (see `BranchCounter`).
    public enum PenaltyScope: String, CaseIterable, Sendable {
        /// One counter per path; a branch inherits its parent's (the paper's reading, default).
        case path
        /// One counter per question (the released code).
        case question
    }

    /// `rollout.branch.*`.
    public struct Settings: Equatable, Sendable {
        /// α: the base branch probability.
        public var alpha = 0.5
        /// γ: weight of the entropy change ΔH.
        public var gamma = 0.2
        /// λ: the consecutive-branch penalty (0 for ARPO; 0.05 for AEPO).
        public var penalty = 0.0
        public var form = PenaltyForm.paper
        public var scope = PenaltyScope.path
        /// τ of the released form.
        public var threshold = 0.5

        public init(alpha: Double = 0.5, gamma: Double = 0.2, penalty: Double = 0, form: PenaltyForm = .paper,
                    scope: PenaltyScope = .path, threshold: Double = 0.5) {
            self.alpha = alpha
            self.gamma = gamma
            self.penalty = penalty
            self.form = form
            self.scope = scope
            self.threshold = threshold
        }
    }

    /// One decision, as the branch-event log records it.
    public struct Decision: Equatable, Sendable {
        public var branches: Bool
        /// The probability of branching under the rule in force.
        public var probability: Double
        public var entropyChange: Double
        /// l at the time of the decision.
        public var consecutiveBranches: Int
    }

    public var settings: Settings

    public init(settings: Settings) {
        self.settings = settings
    }

    /// The branch probability for `ΔH` and `l` under the configured form.
    public func probability(entropyChange dH: Double, consecutiveBranches l: Int) -> Double {
        let s = settings
        let factor = 1 - s.penalty * Double(l)
        switch s.form {
        case .paper:
            return clip((s.alpha + s.gamma * dH) * factor)
        case .released:
            // P(U ≥ τ/f − γΔH) for f > 0; P(U ≤ τ/f − γΔH) for f < 0; for f = 0 the product is 0.
            if factor > 0 { return clip(1 - (s.threshold / factor - s.gamma * dH)) }
            if factor < 0 { return clip(s.threshold / factor - s.gamma * dH) }
            return s.threshold <= 0 ? 1 : 0
        }
    }

    /// Decides with one uniform draw from `generator`.
    public func decide(entropyChange dH: Double, consecutiveBranches l: Int, using generator: inout SeededGenerator) -> Decision {
        let u = generator.nextDouble()
        let branches: Bool
        switch settings.form {
        case .paper:
            branches = u < probability(entropyChange: dH, consecutiveBranches: l)
        case .released:
            branches = (u + settings.gamma * dH) * (1 - settings.penalty * Double(l)) >= settings.threshold
        }
        return Decision(branches: branches, probability: probability(entropyChange: dH, consecutiveBranches: l),
                        entropyChange: dH, consecutiveBranches: l)
    }

    private func clip(_ x: Double) -> Double { min(max(x, 0), 1) }
}
