/// AEPO's entropy-aware advantage (spec §2.2): `Ã_t = A_t · (1 + a · z(H_t))`.
///
/// `z` is the z-score of the detached token entropy over all valid tokens of the (micro-)batch, with the
/// unbiased std; a std of 0 (or fewer than two valid tokens) counts as 1. Masked positions come out 0.
public enum EntropyAwareAdvantage {
    /// The paper's default coefficient `a`.
    public static let defaultCoefficient = 0.2

    public static func transform(_ advantages: TokenMatrix, entropies: TokenMatrix, mask: TokenMatrix,
                                 coefficient a: Double = defaultCoefficient) -> TokenMatrix {
        precondition(advantages.hasShape(of: entropies) && advantages.hasShape(of: mask), "shape mismatch")
        let mean = MaskedStatistics.mean(entropies, mask: mask)
        var std = MaskedStatistics.unbiasedVariance(entropies, mask: mask)?.squareRoot() ?? 1
        if !std.isFinite || std == 0 { std = 1 }
        var out = TokenMatrix(rows: mask.rows, columns: mask.columns)
        for i in out.values.indices where mask.values[i] > 0 {
            out.values[i] = advantages.values[i] * (1 + a * (entropies.values[i] - mean) / std)
        }
        return out
    }
}
