import AEPOCore

/// The single place where a B×T matrix of per-token losses becomes one scalar (verl's `agg_loss`).
///
/// Every mode is a weighted sum `loss = Σ w_bt · L_bt`, so the gradient of the aggregate with respect to a
/// token's log-prob is `w_bt · dL_bt/dlogπ_bt`: `weights(mask:)` serves both.
public enum LossAggregation: String, CaseIterable, NamedRegistry, Sendable {
    /// Mean over every valid token of the batch: `w = m / Σm`.
    case tokenMean = "token-mean"
    /// Sum over each sequence's tokens, mean over sequences with a valid token: `w = m / N_seq`.
    case seqMeanTokenSum = "seq-mean-token-sum"
    /// Mean over each sequence's tokens, then over sequences: `w = m / ((Σ_t m + 1e-8) · N_seq)`.
    case seqMeanTokenMean = "seq-mean-token-mean"

    public static let noun = "loss aggregation"
    public static let defaultField: String? = "loss_agg_mode"

    /// The weight of every token in the aggregate.
    ///
    /// - Parameters:
    ///   - tokenCount: the divisor of `token-mean` when a mini-batch is split into micro-batches
    ///     (verl's `batch_num_tokens`); by default the valid tokens of `mask`.
    ///   - sequenceCount: the divisor of the `seq-mean-*` modes (verl's `global_batch_size`); by default
    ///     the sequences of `mask` that have a valid token.
    public func weights(mask: TokenMatrix, tokenCount: Double? = nil, sequenceCount: Double? = nil) -> TokenMatrix {
        var weights = TokenMatrix(rows: mask.rows, columns: mask.columns)
        let rowSums = (0..<mask.rows).map { b in (0..<mask.columns).reduce(0.0) { $0 + mask[b, $1] } }
        let sequences = sequenceCount ?? Double(rowSums.filter { $0 > 0 }.count)
        for b in 0..<mask.rows where rowSums[b] > 0 {
            let scale: Double
            switch self {
            case .tokenMean: scale = 1 / (tokenCount ?? rowSums.reduce(0, +))
            case .seqMeanTokenSum: scale = 1 / sequences
            case .seqMeanTokenMean: scale = 1 / ((rowSums[b] + 1e-8) * sequences)
            }
            for t in 0..<mask.columns { weights[b, t] = mask[b, t] * scale }
        }
        return weights
    }

    /// `Σ w_bt · L_bt`.
    public func aggregate(_ losses: TokenMatrix, mask: TokenMatrix, tokenCount: Double? = nil, sequenceCount: Double? = nil) -> Double {
        let w = weights(mask: mask, tokenCount: tokenCount, sequenceCount: sequenceCount)
        return zip(w.values, losses.values).reduce(0) { $1.0 == 0 ? $0 : $0 + $1.0 * $1.1 }
    }
}
