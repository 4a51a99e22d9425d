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
                let (s, u) = exponentialMoments(z, count: vocabulary, shift: m)
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
                let (va, vb, vh, vz) = (SIMD16<Float>(repeating: a), SIMD16<Float>(repeating: b),
                                        SIMD16<Float>(repeating: h), SIMD16<Float>(repeating: logZ))
                var j = 0
                while j + 16 <= vocabulary {
                    let logP = Reduction.load16(z + j) - vz
                    let p = VectorMath.exp(logP)
                    Reduction.store16(-va * p - vb * p * (logP + vh), z + j)
                    j += 16
                }
                while j < vocabulary {
                    let logP = z[j] - logZ
                    let p = expf(logP)
                    z[j] = -a * p - b * p * (logP + h)
                    j += 1
                }
                z[Int(targets[r])] += a
            }
        }
    }

    /// `(Σ_j e^{z_j − shift}, Σ_j e^{z_j − shift}(z_j − shift))`, vectorised.
    @inline(__always)
    static func exponentialMoments(_ z: UnsafePointer<Float>, count: Int, shift: Float) -> (Float, Float) {
        let vm = SIMD16<Float>(repeating: shift)
        var sAcc = SIMD16<Float>(), uAcc = SIMD16<Float>()
        var j = 0
        while j + 16 <= count {
            let d = Reduction.load16(z + j) - vm
            let e = VectorMath.exp(d)
            sAcc += e
            uAcc += e * d
            j += 16
        }
        var s = sAcc.sum(), u = uAcc.sum()
        while j < count {
            let d = z[j] - shift
            let e = expf(d)
            s += e
            u += e * d
            j += 1
        }
        return (s, u)
    }
}
