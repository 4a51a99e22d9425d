import Foundation

/// Log-probabilities of target tokens and the full-distribution entropy, from rows of logits.
///
/// For a row `z`: `log Z = log Σ_j exp z_j`, `log p_t = z_t − log Z`, `H = log Z − Σ_j p_j z_j`.
/// Both come from one pass with `s = Σ e^{z_j − m}` and `u = Σ e^{z_j − m}(z_j − m)`:
/// `log Z = m + log s` and `H = log s − u/s`.
public enum LogSoftmax {
    /// For each of `rows` rows of `vocabulary` logits, writes `logNormalizers[r] = log Z`,
    /// `logProbs[r] = log p(targets[r])` and `entropies[r] = H`.
    public static func forward(
        logProbs: UnsafeMutablePointer<Float>, entropies: UnsafeMutablePointer<Float>,
        logNormalizers: UnsafeMutablePointer<Float>,
        logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>, rows: Int, vocabulary: Int
    ) {
        Parallel.forEachChunk(rows) { range in
            for r in range {
                let z = logits + r * vocabulary
                let m = Reduction.maximum(z, vocabulary)
                var s: Float = 0, u: Float = 0
                for j in 0..<vocabulary {
                    let d = z[j] - m
                    let e = expf(d)
                    s += e
                    u += e * d
                }
                let logS = logf(s)
                logNormalizers[r] = m + logS
                logProbs[r] = z[Int(targets[r])] - (m + logS)
                entropies[r] = logS - u / s
            }
        }
    }

    /// Overwrites `logits` with `∂L/∂z` given per-row weights `a = ∂L/∂log p_t` and `b = ∂L/∂H`:
    /// `∂L/∂z_j = a(δ_jt − p_j) − b · p_j (log p_j + H)`.
    /// `entropyWeights` may be nil (no entropy term).
    public static func backward(
        logits: UnsafeMutablePointer<Float>, logNormalizers: UnsafePointer<Float>, entropies: UnsafePointer<Float>,
        targets: UnsafePointer<Int32>, logProbWeights: UnsafePointer<Float>, entropyWeights: UnsafePointer<Float>?,
        rows: Int, vocabulary: Int
    ) {
        Parallel.forEachChunk(rows) { range in
            for r in range {
                let z = logits + r * vocabulary
                let logZ = logNormalizers[r]
                let a = logProbWeights[r]
                let b = entropyWeights?[r] ?? 0
                let h = entropies[r]
                for j in 0..<vocabulary {
                    let logP = z[j] - logZ
                    let p = expf(logP)
                    z[j] = -a * p - b * p * (logP + h)
                }
                z[Int(targets[r])] += a
            }
        }
    }
}
