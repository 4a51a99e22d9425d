/// Names of the per-step metrics the analyses and reports read from the trainer's `metrics.jsonl`.
public enum MetricKey {
    public static let reward = "reward"
    public static let accuracy = "accuracy"
    public static let responseLength = "response_length"
    public static let toolCalls = "tool_calls"
    /// Mean entropy (nats) of the trained tokens.
    public static let entropy = "entropy"
    public static let clipLow = "clip_frac_low"
    public static let clipHigh = "clip_frac_high"
    public static let kl = "kl"
    /// Mean KL estimate to the frozen reference model (runs with a KL term only).
    public static let klReference = "kl_ref"
    public static let gradNorm = "grad_norm"
    public static let branchesPerQuestion = "branches_per_question"
    public static let topThreeRootShare = "branch_top3_root_share"
    /// The entropy-aware advantage's largest factor `1 + a·z_t` in a step, and its mean over the step's
    /// highest-entropy quarter of trained tokens (AEPO only).
    public static let entropyAdvantageWeightMax = "entropy_adv_weight_max"
    public static let entropyAdvantageWeightTopQuartile = "entropy_adv_weight_q4"

    /// Share of the tokens of entropy quartile `quartile` (1 = lowest entropy … 4 = highest) clipped on the high side.
    public static func clipHigh(quartile: Int) -> String { "clip_high_entropy_q\(quartile)" }
}
