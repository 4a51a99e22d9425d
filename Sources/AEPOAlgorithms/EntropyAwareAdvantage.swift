/// AEPO's entropy-aware advantage (docs/algorithm.md §4.4): `Ã_t = A_t · (1 + a · z(H_t))`.
///
/// `z` is the z-score of the detached token entropy over the valid tokens of one optimizer update's mini-batch
/// (`Normalization`), with the unbiased std; a std of 0 (or fewer than two valid tokens) counts as 1. Masked
/// positions come out 0.
public enum EntropyAwareAdvantage {
    /// The paper's default coefficient `a`.
    public static let defaultCoefficient = 0.2

    /// The mean and standard deviation `z` divides by, taken over the valid tokens of a whole mini-batch, so that
    /// splitting the mini-batch into micro-batches (a memory setting) leaves the advantages unchanged.
    public struct Normalization: Equatable, Sendable {
        public var mean: Double
        public var std: Double

        public init(entropies: TokenMatrix, mask: TokenMatrix) {
            precondition(entropies.hasShape(of: mask), "shape mismatch")
            mean = MaskedStatistics.mean(entropies, mask: mask)
            let std = MaskedStatistics.unbiasedVariance(entropies, mask: mask)?.squareRoot() ?? 1
            self.std = std.isFinite && std > 0 ? std : 1
        }
    }

    /// The factor `1 + a · z_t` of every valid token (0 at masked positions); `normalization` defaults to the
    /// statistics of `entropies` over `mask`.
    public static func weights(entropies: TokenMatrix, mask: TokenMatrix, coefficient a: Double = defaultCoefficient,
                               normalization: Normalization? = nil) -> TokenMatrix {
        precondition(entropies.hasShape(of: mask), "shape mismatch")
        let z = normalization ?? Normalization(entropies: entropies, mask: mask)
        var out = TokenMatrix(rows: mask.rows, columns: mask.columns)
        for i in out.values.indices where mask.values[i] > 0 {
            out.values[i] = 1 + a * (entropies.values[i] - z.mean) / z.std
        }
        return out
    }

    /// `Ã = A ⊙ weights`: each token's advantage times its factor (0 where `weights` is 0, at masked positions).
    public static func transform(_ advantages: TokenMatrix, weights: TokenMatrix) -> TokenMatrix {
        precondition(advantages.hasShape(of: weights), "shape mismatch")
        var out = weights
        for i in out.values.indices where out.values[i] != 0 {
            out.values[i] *= advantages.values[i]
        }
        return out
    }
}
