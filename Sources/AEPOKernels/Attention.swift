import Foundation

/// Causal grouped-query self-attention over sequences packed back to back (no padding rows).
///
/// Sequence `b` holds the rows `starts[b] ..< starts[b] + lengths[b]`. Layouts (row-major): queries
/// `[rows, heads, headDim]`, keys and values `[rows, kvHeads, headDim]` (value rows `valueStride` apart), output
/// like the queries; the probabilities of sequence `b` and head `h` are one `length × length` block at
/// `heads · Σ_{b' < b} length_{b'}² + h · length_b²`.
/// Query head `h` reads key/value head `h / (heads / kvHeads)`. Within a sequence, for `t < length`:
/// `P[t, s] = softmax_s(q_t·k_s / sqrt(headDim))` over `s ≤ t`, `out_t = Σ_s P[t, s] v_s`.
public struct AttentionShape: Sendable, Equatable {
    /// Tokens of each sequence.
    public let lengths: [Int]
    /// The first row of each sequence: `Σ_{b' < b} lengths[b']`.
    public let starts: [Int]
    /// `Σ_{b' < b} lengths[b']²`: where each sequence's probability (and scratch) blocks begin, per head.
    let squareStarts: [Int]
    /// All rows: `Σ lengths`.
    public let rows: Int
    /// `Σ lengths²`: the probabilities' floats per head.
    public let squares: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    /// Floats between consecutive positions of the values and their gradients: `kvHeads · headDim`
    /// by default, more when the values sit inside wider rows (fused q|k|v projections).
    public var valueStride: Int
    /// The register tiles of the products (the results do not depend on it, `GemmKernel`).
    public var kernel = GemmKernel.current

    public init(lengths: [Int], heads: Int, kvHeads: Int, headDim: Int, valueStride: Int? = nil) {
        precondition(heads % kvHeads == 0, "query heads must be a multiple of key/value heads")
        precondition(lengths.allSatisfy { $0 >= 0 }, "negative sequence length")
        self.lengths = lengths
        var starts: [Int] = [], squareStarts: [Int] = []
        var rows = 0, squares = 0
        for length in lengths {
            starts.append(rows)
            squareStarts.append(squares)
            rows += length
            squares += length * length
        }
        (self.starts, self.squareStarts, self.rows, self.squares) = (starts, squareStarts, rows, squares)
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.valueStride = valueStride ?? kvHeads * headDim
        precondition(self.valueStride >= kvHeads * headDim, "value rows narrower than kvHeads · headDim")
    }

    var queryWidth: Int { heads * headDim }
    var keyValueWidth: Int { kvHeads * headDim }
    var group: Int { heads / kvHeads }
    var scale: Float { 1 / Float(headDim).squareRoot() }
    /// The longest sequence.
    var longest: Int { lengths.max() ?? 0 }
    /// Floats in the saved probabilities: `heads · Σ length²`.
    public var probabilityCount: Int { heads * squares }
    /// Floats of scratch the backward pass needs: `kvHeads · Σ length²`.
    public var backwardScratchCount: Int { kvHeads * squares }
    /// Rows of a query (or key) tile: eight for the AVX-512 8×32 tile (`gemmEightRowPairTile`), else six.
    var tileRows: Int { kernel == .avx512 ? GemmBlocking.pairRows : GemmBlocking.mr }
}

/// The products run straight on the GEMM's register tiles (`tileProduct`), tile by tile, with no general `sgemm` call:
/// queries are taken `tileRows` (8 with AVX-512, else 6) rows at a time and a tile of rows `[i, i + rows)` only meets
/// keys `s < i + rows`, so the causal mask costs at most one partial tile per row. Each head's keys and
/// values are packed once into the tiles' B slivers; A operands (queries, probabilities,
/// their gradients, and the transposes of the latter two) are read in place. Eight-row tiles add only exact zeros
/// (masked probabilities) to the six-row tiles' sums: the results are the same bit for bit.
public enum Attention {
    /// Writes `output` and saves the attention `probabilities` for the backward pass (row `t` of a
    /// block holds `P[t, s]` for `s ≤ t` and zeros up to the end of `t`'s row tile).
    public static func forward(
        output: UnsafeMutablePointer<Float>, probabilities: UnsafeMutablePointer<Float>,
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>, shape: AttentionShape
    ) {
        let (D, qW, kvW, vS) = (shape.headDim, shape.queryWidth, shape.keyValueWidth, shape.valueStride)
        let wide = shape.kernel == .avx512
        Packs.with(time: shape.longest, headDim: D, count: 2) { packs in
            Parallel.forEachWorker(shape.lengths.count * shape.kvHeads) { task, worker in
                let b = task / shape.kvHeads, kvh = task % shape.kvHeads
                let (T, row0) = (shape.lengths[b], shape.starts[b])
                let k = key + row0 * kvW + kvh * D
                let v = value + row0 * vS + kvh * D
                // Kᵀ as slivers of 16 keys (for Q·Kᵀ), V as slivers of 16 head lanes (for P·V), once per group.
                let keys = packs.buffer(0, worker: worker), values = packs.buffer(1, worker: worker)
                guard T > 0 else { return }
                packs.transposed(k, stride: kvW, count: T, into: keys)
                packs.rows(v, stride: vS, count: T, into: values)
                for h in (kvh * shape.group)..<((kvh + 1) * shape.group) {
                    let q = query + row0 * qW + h * D
                    let o = output + row0 * qW + h * D
                    let p = probabilities + shape.heads * shape.squareStarts[b] + h * T * T
                    forEachRowTile(T, rows: shape.tileRows) { i, rows, end in
                        tileProduct(rows: rows, cols: end, depth: D, a: .rows(q + i * qW, stride: qW),
                                b: keys, bDepth: D, c: p + i * T, ldc: T, alpha: shape.scale, beta: 0, wide: wide)
                        for t in i..<(i + rows) { causalSoftmax(p + t * T, count: t + 1, length: end) }
                        tileProduct(rows: rows, cols: D, depth: end, a: .rows(p + i * T, stride: T),
                                b: values, bDepth: T, c: o + i * qW, ldc: qW, alpha: 1, beta: 0, wide: wide)
                    }
                }
            }
        }
    }

    /// Writes (`=`) the gradients of queries, keys and values from the output gradient.
    /// `dP = dO·Vᵀ`, `dS = P ⊙ (dP − rowsum(P ⊙ dP))`, `dQ = scale·dS·K`, `dK = scale·Σ_group dSᵀ·Q`, `dV = Σ_group Pᵀ·dO`.
    public static func backward(
        queryGradient: UnsafeMutablePointer<Float>, keyGradient: UnsafeMutablePointer<Float>,
        valueGradient: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        outputGradient: UnsafePointer<Float>, probabilities: UnsafePointer<Float>,
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>, shape: AttentionShape
    ) {
        let (D, qW, kvW, vS) = (shape.headDim, shape.queryWidth, shape.keyValueWidth, shape.valueStride)
        let wide = shape.kernel == .avx512
        Packs.with(time: shape.longest, headDim: D, count: 4) { packs in
            Parallel.forEachWorker(shape.lengths.count * shape.kvHeads) { task, worker in
                let b = task / shape.kvHeads, kvh = task % shape.kvHeads
                let (T, row0) = (shape.lengths[b], shape.starts[b])
                guard T > 0 else { return }
                let k = key + row0 * kvW + kvh * D
                let v = value + row0 * vS + kvh * D
                let dk = keyGradient + row0 * kvW + kvh * D
                let dv = valueGradient + row0 * vS + kvh * D
                for t in 0..<T {
                    (dk + t * kvW).update(repeating: 0, count: D)
                    (dv + t * vS).update(repeating: 0, count: D)
                }
                let ds = scratch + shape.kvHeads * shape.squareStarts[b] + kvh * T * T
                let (valuesT, keys) = (packs.buffer(0, worker: worker), packs.buffer(1, worker: worker))
                let (queries, outputGradients) = (packs.buffer(2, worker: worker), packs.buffer(3, worker: worker))
                packs.transposed(v, stride: vS, count: T, into: valuesT)
                packs.rows(k, stride: kvW, count: T, into: keys)
                for h in (kvh * shape.group)..<((kvh + 1) * shape.group) {
                    let q = query + row0 * qW + h * D
                    let dq = queryGradient + row0 * qW + h * D
                    let dO = outputGradient + row0 * qW + h * D
                    let p = probabilities + shape.heads * shape.squareStarts[b] + h * T * T
                    packs.rows(q, stride: qW, count: T, into: queries)
                    packs.rows(dO, stride: qW, count: T, into: outputGradients)
                    // Query tiles: dS rows, then dQ.
                    forEachRowTile(T, rows: shape.tileRows) { i, rows, end in
                        tileProduct(rows: rows, cols: end, depth: D, a: .rows(dO + i * qW, stride: qW),
                                b: valuesT, bDepth: D, c: ds + i * T, ldc: T, alpha: 1, beta: 0, wide: wide)
                        for t in i..<(i + rows) { softmaxGradient(ds + t * T, probabilities: p + t * T, count: t + 1, length: end) }
                        tileProduct(rows: rows, cols: D, depth: end, a: .rows(ds + i * T, stride: T),
                                b: keys, bDepth: T, c: dq + i * qW, ldc: qW, alpha: shape.scale, beta: 0, wide: wide)
                    }
                    // Key tiles `[s0, s0 + rows)` meet queries `t ≥ s0`: dK and dV from the transposes of dS and P.
                    forEachRowTile(T, rows: shape.tileRows) { s0, rows, _ in
                        let offset = s0 * T + s0
                        tileProduct(rows: rows, cols: D, depth: T - s0, a: .columns(ds + offset, stride: T),
                                b: queries + s0 * GemmBlocking.nr, bDepth: T, c: dk + s0 * kvW, ldc: kvW, alpha: shape.scale, beta: 1, wide: wide)
                        tileProduct(rows: rows, cols: D, depth: T - s0, a: .columns(p + offset, stride: T),
                                b: outputGradients + s0 * GemmBlocking.nr, bDepth: T, c: dv + s0 * vS, ldc: vS, alpha: 1, beta: 1, wide: wide)
                    }
                }
            }
        }
    }

    /// Calls `body(i, rows, end)` for the row tiles `[i, i + rows)` of `0..<length`, `rows = min(height, length − i)`,
    /// `end = i + rows`.
    @inline(__always)
    private static func forEachRowTile(_ length: Int, rows height: Int, _ body: (_ i: Int, _ rows: Int, _ end: Int) -> Void) {
        var i = 0
        while i < length {
            let rows = min(height, length - i)
            body(i, rows, i + rows)
            i += height
        }
    }

    /// Softmax over the first `count` entries of a row; entries `count..<length` become 0.
    @inline(__always)
    static func causalSoftmax(_ row: UnsafeMutablePointer<Float>, count: Int, length: Int) {
        let sum = VectorMath.expInPlace(row, count: count, subtracting: Reduction.maximum(row, count))
        VectorMath.scale(row, count: count, by: 1 / sum)
        for s in count..<length { row[s] = 0 }
    }

    /// `dS_s = P_s (dP_s − Σ_{s' < count} P_s' dP_s')` in place over the first `count` entries of
    /// the row `dP`; entries `count..<length` become 0.
    @inline(__always)
    static func softmaxGradient(_ row: UnsafeMutablePointer<Float>, probabilities: UnsafePointer<Float>, count: Int, length: Int) {
        let inner = SIMD16<Float>(repeating: Reduction.dot(probabilities, row, count))
        var s = 0
        while s + 16 <= count {
            Reduction.store16(Reduction.load16(probabilities + s) * (Reduction.load16(row + s) - inner), row + s)
            s += 16
        }
        while s < count {
            row[s] = probabilities[s] * (row[s] - inner[0])
            s += 1
        }
        for s in count..<length { row[s] = 0 }
    }
}

/// Per-thread buffers for one head's keys, values, queries or output gradients packed as
/// micro-kernel B slivers (`count` buffers per thread, each `time × headDim` rounded up to slivers),
/// lent from a `GemmWorkspace` for the length of one call.
private struct Packs {
    let headDim: Int
    let floats: Int
    let count: Int
    let storage: UnsafeMutablePointer<Float>

    /// Slivers of 16 that cover `count` rows or lanes.
    private static func slivers(_ count: Int) -> Range<Int> {
        0..<((count + GemmBlocking.nr - 1) / GemmBlocking.nr)
    }

    static func with(time: Int, headDim: Int, count: Int, _ body: (Packs) -> Void) {
        let floats = slivers(time).count * slivers(headDim).count * GemmBlocking.nr * GemmBlocking.nr
        GemmWorkspace.with { workspace in
            let storage = workspace.buffer(count: Parallel.threadCount * count * floats)
            body(Packs(headDim: headDim, floats: floats, count: count, storage: storage))
        }
    }

    func buffer(_ index: Int, worker: Int) -> UnsafeMutablePointer<Float> {
        storage + (worker * count + index) * floats
    }

    /// `x[0 ..< count]` (rows of `headDim` floats, `stride` apart) transposed: slivers of 16 rows,
    /// each `headDim` steps deep — the B operand of `y·xᵀ`.
    func transposed(_ x: UnsafePointer<Float>, stride: Int, count: Int, into buffer: UnsafeMutablePointer<Float>) {
        GemmPacking.packB(transposed: true, b: x, ldb: stride, p0: 0, depth: headDim, j0: 0, cols: count,
                          slivers: Self.slivers(count), into: buffer)
    }

    /// `x[0 ..< count]` as slivers of 16 head lanes, each `count` steps deep — the B operand of `y·x`.
    func rows(_ x: UnsafePointer<Float>, stride: Int, count: Int, into buffer: UnsafeMutablePointer<Float>) {
        GemmPacking.packB(transposed: false, b: x, ldb: stride, p0: 0, depth: count, j0: 0, cols: headDim,
                          slivers: Self.slivers(headDim), into: buffer)
    }
}
