/// Mean, variance and whitening over the valid (mask > 0) entries of a `TokenMatrix`.
public enum MaskedStatistics {
    /// Mean of the valid entries (0 when there are none).
    public static func mean(_ values: TokenMatrix, mask: TokenMatrix) -> Double {
        var sum = 0.0, count = 0.0
        for i in values.values.indices where mask.values[i] > 0 {
            sum += values.values[i]
            count += 1
        }
        return count > 0 ? sum / count : 0
    }

    /// Unbiased (Bessel-corrected) variance of the valid entries, as `torch.std(unbiased=True)²`;
    /// `nil` with fewer than two valid entries.
    public static func unbiasedVariance(_ values: TokenMatrix, mask: TokenMatrix) -> Double? {
        let mu = mean(values, mask: mask)
        var sum = 0.0, count = 0.0
        for i in values.values.indices where mask.values[i] > 0 {
            let d = values.values[i] - mu
            sum += d * d
            count += 1
        }
        return count > 1 ? sum / (count - 1) : nil
    }

    /// `(x − mean) / sqrt(var + 1e-8)` on valid entries and 0 elsewhere (verl's `masked_whiten` followed by
    /// `* mask`). With a single valid entry the variance is taken as 0, which whitens that entry to 0.
    public static func whitened(_ values: TokenMatrix, mask: TokenMatrix) -> TokenMatrix {
        let mu = mean(values, mask: mask)
        let scale = 1 / ((unbiasedVariance(values, mask: mask) ?? 0) + 1e-8).squareRoot()
        return values.combined(with: mask) { x, m in m > 0 ? (x - mu) * scale : 0 }
    }
}
