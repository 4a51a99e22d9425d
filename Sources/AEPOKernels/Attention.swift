import Foundation

/// Causal grouped-query self-attention over a right-padded batch, with per-sequence lengths.
///
/// Layouts (row-major): queries `[batch, time, heads, headDim]`, keys and values
/// `[batch, time, kvHeads, headDim]`, output like the queries, probabilities `[batch, heads, time, time]`.
/// Query head `h` reads key/value head `h / (heads / kvHeads)`. For `t < length`:
/// `P[t, s] = softmax_s(q_t·k_s / sqrt(headDim))` over `s ≤ t`, `out_t = Σ_s P[t, s] v_s`.
/// Positions at or past a sequence's length produce zeros and receive zero gradients.
public struct AttentionShape: Sendable {
    public var batch: Int
    public var time: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    /// Query rows per causal block: a block of rows `[r0, r1)` only meets keys `[0, r1)`.
    public var blockRows: Int

    public init(batch: Int, time: Int, heads: Int, kvHeads: Int, headDim: Int, blockRows: Int = 64) {
        precondition(heads % kvHeads == 0, "query heads must be a multiple of key/value heads")
        self.batch = batch
        self.time = time
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.blockRows = blockRows
    }

    var queryWidth: Int { heads * headDim }
    var keyValueWidth: Int { kvHeads * headDim }
    var group: Int { heads / kvHeads }
    var scale: Float { 1 / Float(headDim).squareRoot() }
    /// Floats in the saved probabilities: `batch · heads · time²`.
    public var probabilityCount: Int { batch * heads * time * time }
    /// Floats of scratch the backward pass needs: `batch · kvHeads · time²`.
    public var backwardScratchCount: Int { batch * kvHeads * time * time }
}

public enum Attention {
    /// Writes `output` and saves the attention `probabilities` for the backward pass.
    public static func forward(
        output: UnsafeMutablePointer<Float>, probabilities: UnsafeMutablePointer<Float>,
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
        lengths: UnsafePointer<Int32>, shape: AttentionShape
    ) {
        let (T, D, qW, kvW) = (shape.time, shape.headDim, shape.queryWidth, shape.keyValueWidth)
        Parallel.forEach(shape.batch * shape.heads) { task in
            let b = task / shape.heads, h = task % shape.heads, kvh = h / shape.group
            let length = Int(lengths[b])
            let q = query + b * T * qW + h * D
            let k = key + b * T * kvW + kvh * D
            let v = value + b * T * kvW + kvh * D
            let o = output + b * T * qW + h * D
            let p = probabilities + task * T * T
            for t in length..<T { (o + t * qW).update(repeating: 0, count: D) }
            // Causal blocks of query rows [r0, r1) only meet keys [0, r1).
            for r0 in stride(from: 0, to: length, by: shape.blockRows) {
                let r1 = min(r0 + shape.blockRows, length)
                sgemm(transA: false, transB: true, m: r1 - r0, n: r1, k: D, alpha: shape.scale,
                      a: q + r0 * qW, lda: qW, b: k, ldb: kvW, beta: 0, c: p + r0 * T, ldc: T)
                for t in r0..<r1 {
                    causalSoftmax(p + t * T, count: t + 1, length: r1)
                }
                sgemm(transA: false, transB: false, m: r1 - r0, n: D, k: r1, alpha: 1,
                      a: p + r0 * T, lda: T, b: v, ldb: kvW, beta: 0, c: o + r0 * qW, ldc: qW)
            }
        }
    }

    /// Writes (`=`) the gradients of queries, keys and values from the output gradient.
    /// `dP = dO·Vᵀ`, `dS = P ⊙ (dP − rowsum(P ⊙ dP))`, `dQ = scale·dS·K`, `dK = scale·Σ_group dSᵀ·Q`, `dV = Σ_group Pᵀ·dO`.
    public static func backward(
        queryGradient: UnsafeMutablePointer<Float>, keyGradient: UnsafeMutablePointer<Float>,
        valueGradient: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        outputGradient: UnsafePointer<Float>, probabilities: UnsafePointer<Float>,
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
        lengths: UnsafePointer<Int32>, shape: AttentionShape
    ) {
        let (T, D, qW, kvW) = (shape.time, shape.headDim, shape.queryWidth, shape.keyValueWidth)
        Parallel.forEach(shape.batch * shape.kvHeads) { task in
            let b = task / shape.kvHeads, kvh = task % shape.kvHeads
            let length = Int(lengths[b])
            let k = key + b * T * kvW + kvh * D
            let v = value + b * T * kvW + kvh * D
            let dk = keyGradient + b * T * kvW + kvh * D
            let dv = valueGradient + b * T * kvW + kvh * D
            for t in 0..<T {
                (dk + t * kvW).update(repeating: 0, count: D)
                (dv + t * kvW).update(repeating: 0, count: D)
            }
            let ds = scratch + task * T * T
            for h in (kvh * shape.group)..<((kvh + 1) * shape.group) {
                let q = query + b * T * qW + h * D
                let dq = queryGradient + b * T * qW + h * D
                let dO = outputGradient + b * T * qW + h * D
                let p = probabilities + (b * shape.heads + h) * T * T
                for t in length..<T { (dq + t * qW).update(repeating: 0, count: D) }
                for r0 in stride(from: 0, to: length, by: shape.blockRows) {
                    let r1 = min(r0 + shape.blockRows, length)
                    let rows = r1 - r0
                    let pBlock = p + r0 * T, dsBlock = ds + r0 * T
                    sgemm(transA: false, transB: true, m: rows, n: r1, k: D, alpha: 1,
                          a: dO + r0 * qW, lda: qW, b: v, ldb: kvW, beta: 0, c: dsBlock, ldc: T)
                    for t in r0..<r1 {
                        let pRow = p + t * T, dRow = ds + t * T
                        let inner = Reduction.dot(pRow, dRow, t + 1)
                        for s in 0...t { dRow[s] = pRow[s] * (dRow[s] - inner) }
                        for s in (t + 1)..<r1 { dRow[s] = 0 }
                    }
                    sgemm(transA: false, transB: false, m: rows, n: D, k: r1, alpha: shape.scale,
                          a: dsBlock, lda: T, b: k, ldb: kvW, beta: 0, c: dq + r0 * qW, ldc: qW)
                    sgemm(transA: true, transB: false, m: r1, n: D, k: rows, alpha: shape.scale,
                          a: dsBlock, lda: T, b: q + r0 * qW, ldb: qW, beta: 1, c: dk, ldc: kvW)
                    sgemm(transA: true, transB: false, m: r1, n: D, k: rows, alpha: 1,
                          a: pBlock, lda: T, b: dO + r0 * qW, ldb: qW, beta: 1, c: dv, ldc: kvW)
                }
            }
        }
    }

    /// Softmax over the first `count` entries of a row; entries `count..<length` become 0.
    @inline(__always)
    static func causalSoftmax(_ row: UnsafeMutablePointer<Float>, count: Int, length: Int) {
        let sum = VectorMath.expInPlace(row, count: count, subtracting: Reduction.maximum(row, count))
        VectorMath.scale(row, count: count, by: 1 / sum)
        for s in count..<length { row[s] = 0 }
    }
}
