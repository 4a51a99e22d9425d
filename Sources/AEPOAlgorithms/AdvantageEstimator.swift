import AEPOCore

/// What an advantage estimator sees: token-level rewards, the group (question) of each sequence, and the mask.
public struct AdvantageInput: Sendable {
    /// B×T rewards; outcome rewards sit on each sequence's last valid token (KL-in-reward adds per-token terms).
    public var tokenRewards: TokenMatrix
    /// One group id per sequence: the sequences of one question share an id.
    public var groupIDs: [Int]
    /// B×T, 1 on trained tokens.
    public var mask: TokenMatrix

    public init(tokenRewards: TokenMatrix, groupIDs: [Int], mask: TokenMatrix) {
        precondition(tokenRewards.hasShape(of: mask) && groupIDs.count == mask.rows, "inconsistent advantage input")
        self.tokenRewards = tokenRewards
        self.groupIDs = groupIDs
        self.mask = mask
    }

    /// Places each sequence's `scores[b]` on its last valid token (a fully masked row gets no reward).
    public init(scores: [Double], groupIDs: [Int], mask: TokenMatrix) {
        precondition(scores.count == mask.rows, "one score per sequence")
        var rewards = TokenMatrix(rows: mask.rows, columns: mask.columns)
        for b in 0..<mask.rows {
            if let last = (0..<mask.columns).last(where: { mask[b, $0] > 0 }) {
                rewards[b, last] = scores[b]
            }
        }
        self.init(tokenRewards: rewards, groupIDs: groupIDs, mask: mask)
    }

    /// Each sequence's total reward (verl: `token_level_rewards.sum(-1)`).
    public var sequenceScores: [Double] {
        (0..<tokenRewards.rows).map { b in (0..<tokenRewards.columns).reduce(0) { $0 + tokenRewards[b, $1] } }
    }

    /// Sequence indices of each group, in first-appearance order.
    public var groups: [[Int]] {
        var order: [Int] = []
        var members: [Int: [Int]] = [:]
        for (b, id) in groupIDs.enumerated() {
            if members[id] == nil { order.append(id) }
            members[id, default: []].append(b)
        }
        return order.map { members[$0]! }
    }

    /// A per-sequence scalar broadcast over that sequence's valid tokens (0 elsewhere).
    func broadcast(_ perSequence: [Double]) -> TokenMatrix {
        var out = TokenMatrix(rows: mask.rows, columns: mask.columns)
        for b in 0..<mask.rows {
            for t in 0..<mask.columns where mask[b, t] > 0 { out[b, t] = perSequence[b] }
        }
        return out
    }
}

/// Settings shared by the estimators.
public struct AdvantageOptions: Equatable, Sendable {
    /// How a group with a single sequence is normalised.
    public enum SingletonGroup: String, CaseIterable, Sendable {
        /// The sequence is its own baseline: its advantage is 0 (docs/algorithm.md §4.1).
        case zero
        /// verl's convention: mean 0 and std 1, so the raw score passes through (`grpo`: `R / (1 + ε)`).
        case verl
    }

    /// ε in `(R − mean) / (std + ε)`.
    public var epsilon: Double = 1e-6
    /// Discount of `reinforce++`'s return.
    public var gamma: Double = 1
    public var singletonGroup: SingletonGroup = .zero

    public init(epsilon: Double = 1e-6, gamma: Double = 1, singletonGroup: SingletonGroup = .zero) {
        self.epsilon = epsilon
        self.gamma = gamma
        self.singletonGroup = singletonGroup
    }
}

/// A named advantage estimator: B×T token rewards → B×T advantages (the registry of verl's `core_algos`).
public struct AdvantageEstimator: NamedRegistry, Sendable {
    public static let noun = "advantage estimator"
    public static let defaultField: String? = "estimator"

    public let name: String
    private let estimate: @Sendable (AdvantageInput, AdvantageOptions) -> TokenMatrix

    public init(name: String, estimate: @escaping @Sendable (AdvantageInput, AdvantageOptions) -> TokenMatrix) {
        self.name = name
        self.estimate = estimate
    }

    public func callAsFunction(_ input: AdvantageInput, options: AdvantageOptions = AdvantageOptions()) -> TokenMatrix {
        estimate(input, options)
    }

    /// Every registered estimator.
    public static let all: [AdvantageEstimator] = [grpo, grpoNoStd, reinforcePlusPlus, reinforcePlusPlusBaseline, rloo]

    /// GRPO: `(R − mean_group) / (std_group + ε)` with the unbiased std, broadcast over valid tokens.
    public static let grpo = AdvantageEstimator(name: "grpo") { groupNormalized($0, $1, dividingByStd: true) }

    /// Dr. GRPO (`norm_adv_by_std_in_grpo = false`): `R − mean_group`.
    public static let grpoNoStd = AdvantageEstimator(name: "grpo-no-std") { groupNormalized($0, $1, dividingByStd: false) }

    /// REINFORCE++: the discounted return `G_t = r_t + γ·G_{t+1}` over valid tokens, whitened over the batch.
    ///
    /// As verl's `compute_reinforce_plus_plus_outcome_advantage` for contiguous masks. Masked positions
    /// inside a sequence (tool output) are skipped, so the return flows across them; verl resets it there.
    public static let reinforcePlusPlus = AdvantageEstimator(name: "reinforce++") { input, options in
        var returns = TokenMatrix(rows: input.mask.rows, columns: input.mask.columns)
        for b in 0..<returns.rows {
            var running = 0.0
            for t in stride(from: returns.columns - 1, through: 0, by: -1) where input.mask[b, t] > 0 {
                running = input.tokenRewards[b, t] + options.gamma * running
                returns[b, t] = running
            }
        }
        return MaskedStatistics.whitened(returns, mask: input.mask)
    }

    /// REINFORCE++ with baseline: `R − mean_group`, broadcast over valid tokens, whitened over the batch.
    public static let reinforcePlusPlusBaseline = AdvantageEstimator(name: "reinforce++-baseline") { input, options in
        MaskedStatistics.whitened(groupNormalized(input, options, dividingByStd: false), mask: input.mask)
    }

    /// RLOO: `R − mean of the other members` = `n/(n−1)·(R − mean_group)`.
    public static let rloo = AdvantageEstimator(name: "rloo") { input, options in
        let scores = input.sequenceScores
        var advantages = [Double](repeating: 0, count: scores.count)
        for members in input.groups {
            let n = Double(members.count)
            if members.count == 1 {
                advantages[members[0]] = options.singletonGroup == .verl ? scores[members[0]] : 0
                continue
            }
            let mean = members.reduce(0) { $0 + scores[$1] } / n
            for b in members { advantages[b] = (scores[b] - mean) * n / (n - 1) }
        }
        return input.broadcast(advantages)
    }

    /// `(R − mean_group) / (std_group + ε)` (or without the division), one scalar per sequence broadcast.
    private static func groupNormalized(_ input: AdvantageInput, _ options: AdvantageOptions, dividingByStd: Bool) -> TokenMatrix {
        let scores = input.sequenceScores
        var advantages = [Double](repeating: 0, count: scores.count)
        for members in input.groups {
            var mean = 0.0, std = 1.0
            if members.count > 1 {
                let n = Double(members.count)
                mean = members.reduce(0) { $0 + scores[$1] } / n
                std = (members.reduce(0) { $0 + (scores[$1] - mean) * (scores[$1] - mean) } / (n - 1)).squareRoot()
            } else if options.singletonGroup == .zero {
                mean = scores[members[0]]
            }
            for b in members {
                advantages[b] = dividingByStd ? (scores[b] - mean) / (std + options.epsilon) : scores[b] - mean
            }
        }
        return input.broadcast(advantages)
    }
}
