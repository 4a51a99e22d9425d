/// Where a token's ratio sits relative to the clip range, for metrics and the clipping-by-entropy analyses.
public enum ClipRegion: String, Sendable {
    /// Inside the trust region, or clipped on a side that does not bind for this advantage's sign.
    case unclipped
    /// `ratio < 1 − ε_l` with `A < 0` (PPO's gradient is 0 there).
    case low
    /// `ratio > 1 + ε_h` with `A > 0` (PPO's gradient is 0 there; EBPO and GPPO keep one).
    case high
    /// `ratio > c` with `A < 0`: the dual clip binds.
    case dual

    public init(ratio: Double, advantage a: Double, settings s: PolicyLossSettings) {
        if a < 0 && ratio > s.clipRatioC {
            self = .dual
        } else if a < 0 && ratio < 1 - s.clipRatioLow {
            self = .low
        } else if a > 0 && ratio > 1 + s.clipRatioHigh {
            self = .high
        } else {
            self = .unclipped
        }
    }
}

/// Fractions of valid tokens in each clip region, and the approximate KL to the rollout policy
/// (verl's `pg_clipfrac`, `pg_clipfrac_lower`, `ppo_kl`), each a mean over valid tokens. The one definition of
/// "clipped" in the project: from the ratio the loss itself clips and the advantage it uses.
public struct ClipStatistics: Equatable, Sendable {
    /// The region of every cell, row-major (`.unclipped` where the mask is 0).
    public var regions: [ClipRegion]
    public var clippedLowFraction: Double
    public var clippedHighFraction: Double
    public var dualClipFraction: Double
    /// `mean(log π_old − log π_θ)` over valid tokens.
    public var approxKL: Double

    /// Statistics of `ratios` (the ratio each loss clips) against the advantages and mask of `input`.
    public init(ratios: TokenMatrix, input: PolicyLossInput, settings: PolicyLossSettings) {
        var counts: [ClipRegion: Double] = [:]
        var kl = 0.0, tokens = 0.0
        regions = [ClipRegion](repeating: .unclipped, count: ratios.values.count)
        for i in ratios.values.indices where input.mask.values[i] > 0 {
            regions[i] = ClipRegion(ratio: ratios.values[i], advantage: input.advantages.values[i], settings: settings)
            counts[regions[i], default: 0] += 1
            kl += input.oldLogProbs.values[i] - input.logProbs.values[i]
            tokens += 1
        }
        let n = max(tokens, 1)
        clippedLowFraction = (counts[.low] ?? 0) / n
        clippedHighFraction = (counts[.high] ?? 0) / n
        dualClipFraction = (counts[.dual] ?? 0) / n
        approxKL = kl / n
    }
}
