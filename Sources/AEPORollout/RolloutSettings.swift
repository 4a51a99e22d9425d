/// How a batch of questions is rolled out (docs/algorithm.md §2): the strategy, the group size k, the roots m,
/// the branch rule and AEPO's pre-monitoring.
public struct RolloutSettings: Equatable, Sendable {
    public var strategy: RolloutStrategy
    /// k: trajectories per question.
    public var trajectoriesPerQuestion: Int
    /// m: root trajectories of a tree (ARPO, and AEPO without pre-monitoring); ignored by `independent`.
    public var initialRollouts: Int
    /// α, γ, λ, penalty form and scope; ARPO uses them with its λ (0 by the preset).
    public var branch: BranchPolicy.Settings
    /// AEPO only: choose m per question by entropy pre-monitoring (`BudgetAllocator`) instead of `initialRollouts`.
    public var preMonitor: Bool
    /// β of the budget formula.
    public var budgetBeta: Double

    public init(strategy: RolloutStrategy, trajectoriesPerQuestion k: Int, initialRollouts m: Int = 1,
                branch: BranchPolicy.Settings = BranchPolicy.Settings(), preMonitor: Bool = false,
                budgetBeta: Double = BudgetAllocator.defaultBeta) {
        precondition(k >= 1 && m >= 1 && m <= k, "need 1 ≤ m ≤ k")
        self.strategy = strategy
        trajectoriesPerQuestion = k
        initialRollouts = m
        self.branch = branch
        self.preMonitor = preMonitor
        self.budgetBeta = budgetBeta
    }

    /// Whether pre-monitoring runs: AEPO with `preMonitor` on.
    public var monitors: Bool { strategy == .aepo && preMonitor }
}
