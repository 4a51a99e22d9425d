import Foundation

/// The correction for what differs between the sampler and the trainer (verl's `algorithm.rollout_correction`,
/// docs/algorithm.md §5.11): per trained token the log ratio `r_t = clamp(log π_old − log π_s, ±20)` of the trainer's
/// forward to the sampler's own log-prob gives a truncated importance weight on the policy-gradient term (TIS,
/// `rollout_is`) and masks tokens or whole sequences whose ratio leaves `[1/C, C]` (MIS, `rollout_rs`).
public struct RolloutCorrection: Equatable, Sendable {
    /// `rollout_is`: where the truncated weight `min(ρ, C)` is taken.
    public enum Weighting: String, CaseIterable, Sendable {
        /// `token` with a remote sampler, `null` with the native engine.
        case auto
        case none = "null"
        /// `ρ_t = exp(r_t)` per token.
        case token
        /// `ρ_b = exp(clamp(Σ_t r_t, ±20))`, one weight for the whole sequence.
        case sequence
    }

    /// `rollout_rs`: which tokens leave the update because their ratio is outside `[1/C, C]`.
    public enum Rejection: String, CaseIterable, Sendable {
        /// `seq_mean_k1` with a remote sampler, `null` with the native engine.
        case auto
        case none = "null"
        /// Each token on its own ratio `exp(r_t)`.
        case token = "token_k1"
        /// The whole sequence on the product of its ratios, `exp(Σ_t r_t)`.
        case sequenceSum = "seq_sum_k1"
        /// The whole sequence on the geometric mean of its ratios, `exp(mean_t r_t)`.
        case sequenceMean = "seq_mean_k1"
    }

    /// `rollout_is`, `rollout_is_threshold` (C of the weight), `rollout_rs`, `rollout_rs_threshold` (C of the mask).
    public var weighting: Weighting
    public var weightThreshold: Double
    public var rejection: Rejection
    public var rejectionThreshold: Double

    public init(weighting: Weighting = .auto, weightThreshold: Double = 2, rejection: Rejection = .auto,
                rejectionThreshold: Double = 2) {
        self.weighting = weighting
        self.weightThreshold = weightThreshold
        self.rejection = rejection
        self.rejectionThreshold = rejectionThreshold
    }

    /// `auto` made concrete: a remote sampler (another engine, possibly other kernels and precision) is corrected by
    /// token TIS and the geometric-mean sequence mask; the native engine, which samples with the trainer's own weights,
    /// is not.
    public func resolved(remoteSampler: Bool) -> RolloutCorrection {
        var out = self
        if weighting == .auto { out.weighting = remoteSampler ? .token : .none }
        if rejection == .auto { out.rejection = remoteSampler ? .sequenceMean : .none }
        return out
    }

    /// What the correction does to one batch, and how far the two policies are apart.
    public struct Outcome: Equatable, Sendable {
        /// The factor on each token's policy-gradient term (1 where no weight applies).
        public var weights: TokenMatrix
        /// The loss mask with the rejected tokens removed.
        public var mask: TokenMatrix
        /// `logprob_mismatch` (mean |log π_old − log π_s|), `logprob_mismatch_max`, `sampler_kl` (k1) and
        /// `sampler_k3_kl` (k3) estimates of KL(π_s ‖ π_old), `rollout_is_weight_mean` (over the kept tokens),
        /// `rollout_is_truncated_fraction` and `rollout_rs_masked_fraction` (shares of the trained tokens).
        public var metrics: [String: Double]
    }

    /// The weights and mask for trained tokens `mask` whose log-probs are `trainer` (π_old, the training forward) and
    /// `sampler` (π_s, what the sampler reported for the same distribution). `auto` counts as off: resolve it first.
    public func apply(trainer: TokenMatrix, sampler: TokenMatrix, mask: TokenMatrix) -> Outcome {
        precondition(trainer.hasShape(of: mask) && sampler.hasShape(of: mask), "rollout correction inputs must share one B×T shape")
        var weights = TokenMatrix(rows: mask.rows, columns: mask.columns, repeating: 1)
        var kept = mask
        var tokens = 0.0, absolute = 0.0, largest = 0.0, k1 = 0.0, k3 = 0.0, truncated = 0.0, rejected = 0.0
        for b in 0..<mask.rows {
            let cells = (0..<mask.columns).filter { mask[b, $0] > 0 }
            guard !cells.isEmpty else { continue }
            let logRatios = cells.map { Self.clamped(trainer[b, $0] - sampler[b, $0]) }
            for (t, r) in zip(cells, logRatios) {
                let difference = abs(trainer[b, t] - sampler[b, t])
                absolute += difference
                largest = max(largest, difference)
                k1 -= r
                k3 += exp(r) - 1 - r
            }
            tokens += Double(cells.count)
            let sum = logRatios.reduce(0, +)
            for (t, r) in zip(cells, logRatios) {
                let ratio: Double
                switch weighting {
                case .token: ratio = exp(r)
                case .sequence: ratio = exp(Self.clamped(sum))
                case .auto, .none: continue
                }
                weights[b, t] = min(ratio, weightThreshold)
                if ratio > weightThreshold { truncated += 1 }
            }
            for (t, r) in zip(cells, logRatios) where rejects(r, sum: sum, count: cells.count) {
                kept[b, t] = 0
                rejected += 1
            }
        }
        let n = max(tokens, 1)
        let keptWeights = zip(weights.values, kept.values).filter { $0.1 > 0 }.map(\.0)
        return Outcome(weights: weights, mask: kept, metrics: [
            "logprob_mismatch": absolute / n, "logprob_mismatch_max": largest, "sampler_kl": k1 / n, "sampler_k3_kl": k3 / n,
            "rollout_is_weight_mean": keptWeights.isEmpty ? 1 : keptWeights.reduce(0, +) / Double(keptWeights.count),
            "rollout_is_truncated_fraction": truncated / n, "rollout_rs_masked_fraction": rejected / n,
        ])
    }

    /// Whether the token of log ratio `r`, in a sequence of `count` trained tokens summing to `sum`, leaves the update.
    private func rejects(_ r: Double, sum: Double, count: Int) -> Bool {
        let logRatio: Double
        switch rejection {
        case .token: logRatio = r
        case .sequenceSum: logRatio = sum
        case .sequenceMean: logRatio = sum / Double(count)
        case .auto, .none: return false
        }
        return abs(logRatio) > log(rejectionThreshold)
    }

    /// verl's safety bound on a log ratio.
    private static func clamped(_ logRatio: Double) -> Double { min(max(logRatio, -20), 20) }
}
