import AEPOKernelsAVX512

/// Single-precision matrix multiply on row-major matrices:
/// `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C`, where `op(X)` is `X` or `Xᵀ`.
///
/// `lda`, `ldb`, `ldc` are row strides (elements between consecutive rows) of the matrices as
/// stored, before any transposition — the row-major convention of `cblas_sgemm(CblasRowMajor, …)`.
/// With `beta == 0`, `C` is overwritten and may hold garbage (NaN included) on entry.
///
/// Fast shapes (all run on `Parallel.threadCount` threads):
/// - `y = x·Wᵀ` with `W` stored `[out, in]`: `transA: false, transB: true, m: tokens, n: out, k: in`.
///   Up to `smallBatchLimit` rows of `x` (decoding), with `in ≥ 64`, take a matrix–vector path that
///   streams `W` once per few rows; larger `m` takes the packed, cache-blocked 6×16 SIMD kernel (8×32 and 12×16 with AVX-512, `GemmKernel`).
/// - `dX = dY·W`: `transA: false, transB: false`; `dW = dYᵀ·X`: `transA: true, transB: false`.
///   Both take the packed kernel, which resolves transposition while packing (or reads A in place).
/// With `AEPO_BLAS=openblas` and an OpenBLAS library present, the call goes to `cblas_sgemm`.
public func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: .float32(b), ldb: ldb,
          beta: beta, c: c, ldc: ldc)
}

/// `sgemm` with B held as float32 or bfloat16 (`WeightPointer`): bfloat16 is widened as it is read, so the result is
/// that of float32 B holding the same values, bit for bit; it always takes the Swift kernels (OpenBLAS has no such B).
/// `terms` are then added to C in order (`LowRankTerm`: fused into the packed product's register tiles where it can).
public func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float,
    a: UnsafePointer<Float>, lda: Int,
    b: WeightPointer, ldb: Int,
    beta: Float,
    c: UnsafeMutablePointer<Float>, ldc: Int,
    adding terms: [LowRankTerm] = []
) {
    precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative dimension m=\(m) n=\(n) k=\(k)")
    precondition(terms.allSatisfy { $0.columns.lowerBound >= 0 && $0.columns.upperBound <= n }, "sgemm: a term's columns lie outside C")
    let operands = GemmOperands(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                                a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, terms: terms)
    if m == 0 || n == 0 { return }
    if let blas = OpenBLAS.selected, blas.sgemm(operands) {
        operands.addTermsSeparately()
        return
    }
    sgemmNative(operands)
}

/// The arguments of one `sgemm` call, as documented there.
struct GemmOperands {
    var transA: Bool, transB: Bool, m: Int, n: Int, k: Int
    var alpha: Float
    var a: UnsafePointer<Float>, lda: Int
    var b: WeightPointer, ldb: Int
    var beta: Float
    var c: UnsafeMutablePointer<Float>, ldc: Int
    /// The register tiles of the packed path (the results do not depend on it).
    var kernel = GemmKernel.current
    /// Low-rank updates added after the product, in order.
    var terms: [LowRankTerm] = []

    /// Whether the packed path adds `terms` to its tiles (else after the product, by their own calls): with A in place
    /// and each term's columns starting at a 16-column sliver and ending at one (or at C's end), and only where the
    /// terms' own calls would take the same tiles (not OpenBLAS, not the matrix–vector path).
    var fusesTerms: Bool {
        let nr = GemmBlocking.nr
        return !transA && OpenBLAS.selected == nil && terms.allSatisfy {
            $0.columns.lowerBound % nr == 0 && ($0.columns.upperBound % nr == 0 || $0.columns.upperBound == n)
                && !(!$0.vTransposed && m <= smallBatchLimit && $0.rank >= smallBatchMinimumDepth)
        }
    }

    /// Adds `terms` to C after the product, each by its own call.
    func addTermsSeparately() {
        for term in terms { term.add(m: m, to: c, ldc: ldc) }
    }
}

/// The number of rows of `x` up to which `sgemm(transA: _, transB: true, …)` uses the
/// matrix–vector path rather than the packed GEMM.
public let smallBatchLimit = 32

/// The matrix–vector path needs rows long enough to amortise each dot product's final horizontal
/// sum; shorter ones (attention's head dimension, say) take the packed GEMM.
let smallBatchMinimumDepth = 64

/// `sgemm` without the OpenBLAS option: the Swift kernels.
func sgemmNative(_ g: GemmOperands) {
    if g.m == 0 || g.n == 0 { return }
    if g.k == 0 || g.alpha == 0 {
        scale(c: g.c, ldc: g.ldc, m: g.m, n: g.n, by: g.beta)
    } else if g.transB && g.m <= smallBatchLimit && g.k >= smallBatchMinimumDepth {
        sgemmSmallBatch(g)
    } else {
        sgemmPacked(g)
        return
    }
    g.addTermsSeparately()
}

/// `C = beta · C`, writing zeros (not `0 · NaN`) when `beta == 0`.
private func scale(c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int, by beta: Float) {
    for i in 0..<m {
        let row = c + i * ldc
        if beta == 0 {
            row.update(repeating: 0, count: n)
        } else if beta != 1 {
            for j in 0..<n { row[j] *= beta }
        }
    }
}

/// The cache-blocked GEMM (Goto's scheme): for each `nc`-wide group of B's `kc`-deep panels, pack it once
/// (in parallel), then let the threads take (A block × column range) tasks and sweep the
/// micro-kernel over them, panel after panel. A row-major A is read in place (six row streams, no copy); its groups
/// are as deep as `GemmBlocking.groupFloats` allows (the whole depth for `k · nc` up to it), so each task's block of
/// C stays in cache across the group's panels instead of being read from memory once per panel. A transposed
/// A (the weight-gradient shapes `dW = dYᵀ·X`) is packed, a panel at a time (its groups are single panels): by each
/// task into its own buffer when there are many row blocks, or, when there are few and the columns are split too (so
/// several tasks share each A block), once per panel, alongside B, into a shared buffer. Every element of C sums its
/// panels in order, each as one `kc`-deep call would, whatever the grouping. With A in place and every term's
/// columns starting at a sliver (and ending at one or at C's end), the terms are added to each tile after its last
/// depth panel (`PackedTerms`); otherwise after the product, as their own calls.
private func sgemmPacked(_ g: GemmOperands) {
    let (m, n, k, alpha, beta, a, lda, b, ldb, c, ldc) = (g.m, g.n, g.k, g.alpha, g.beta, g.a, g.lda, g.b, g.ldb, g.c, g.ldc)
    let (mr, nr, mc, kc) = (GemmBlocking.mr, GemmBlocking.nr, GemmBlocking.mc, GemmBlocking.kc)
    let nc = g.transA ? GemmBlocking.nc : GemmBlocking.groupColumns
    // The packed columns of a full-width group, and as many of its panels as the buffer holds.
    let groupDepth = g.transA ? kc : GemmBlocking.groupFloats / ((min(nc, n) + nr - 1) / nr * nr) / kc * kc
    // Below ~1 MFLOP, waking the other threads costs more than it saves.
    let maxThreads = m * n * k < 1 << 19 ? 1 : Int.max
    let threads = min(Parallel.availableThreadCount, maxThreads)
    let rowBlocks = (m + mc - 1) / mc
    let wide = g.kernel == .avx512
    let fusesTerms = g.fusesTerms
    GemmWorkspace.with { workspace in
        for jc in stride(from: 0, to: n, by: nc) {
            let width = min(nc, n - jc)
            let slivers = (width + nr - 1) / nr
            // A row-major A is never packed whole, so the shared buffer is free for the terms' slivers.
            let terms = fusesTerms ? PackedTerms(g.terms, panel: jc..<(jc + width), into: workspace.buffer(count:)) : nil
            // Split the columns too when there are too few row blocks to keep every thread busy.
            let columnSplit = threads == 1 ? 1 : min(slivers, max(1, (threads * 8 + rowBlocks - 1) / rowBlocks))
            let aSlivers = g.transA && columnSplit > 1 ? (m + mr - 1) / mr : 0
            let sharedA = aSlivers > 0 ? workspace.buffer(count: aSlivers * mr * kc) : nil
            for group in stride(from: 0, to: k, by: groupDepth) {
                let groupEnd = min(k, group + groupDepth)
                let panels = stride(from: group, to: groupEnd, by: kc)
                /// Panel `pc`'s packed slivers (each `depth × nr`), after the group's earlier panels.
                func packedB(_ pc: Int) -> UnsafeMutablePointer<Float> { workspace.packedB + (pc - group) * slivers * nr }

                // Pack tasks cover B's slivers, panel by panel, then (when shared) A's.
                let bSlivers = (groupEnd - group + kc - 1) / kc * slivers
                let packTasks = min(bSlivers + aSlivers, threads * 4)
                Parallel.forEachWorker(packTasks, maxThreads: maxThreads) { task, _ in
                    let range = Parallel.chunkRange(task, of: packTasks, total: bSlivers + aSlivers)
                    for (index, pc) in panels.enumerated() {
                        let bPart = range.clamped(to: (index * slivers)..<((index + 1) * slivers))
                        if bPart.isEmpty { continue }
                        let (depth, part) = (min(kc, k - pc), (bPart.lowerBound - index * slivers)..<(bPart.upperBound - index * slivers))
                        switch b {
                        case .float32(let b):
                            GemmPacking.packB(transposed: g.transB, b: b, ldb: ldb, p0: pc, depth: depth, j0: jc, cols: width,
                                              slivers: part, into: packedB(pc))
                        case .bfloat16(let b):
                            GemmPacking.packB(transposed: g.transB, b: b, ldb: ldb, p0: pc, depth: depth, j0: jc, cols: width,
                                              slivers: part, into: packedB(pc))
                        }
                    }
                    // A transposed A's groups are single panels.
                    if let sharedA {
                        let aPart = range.clamped(to: bSlivers..<(bSlivers + aSlivers))
                        if !aPart.isEmpty {
                            let (i0, depth) = ((aPart.lowerBound - bSlivers) * mr, groupEnd - group)
                            GemmPacking.packTransposedA(a: a, lda: lda, i0: i0, rows: min(aPart.count * mr, m - i0),
                                                        p0: group, depth: depth, into: sharedA + i0 * depth)
                        }
                    }
                }

                Parallel.forEachWorker(rowBlocks * columnSplit, maxThreads: maxThreads) { task, worker in
                    let block = task / columnSplit
                    let part = task % columnSplit
                    let ic = block * mc
                    let height = min(mc, m - ic)
                    let columns = (slivers * part / columnSplit)..<(slivers * (part + 1) / columnSplit)
                    for pc in panels {
                        let depth = min(kc, k - pc)
                        let betaNow: Float = pc == 0 ? beta : 1
                        let lastPanel = pc + depth == k
                        let panelB = packedB(pc)
                        /// After the last depth panel, the terms over the tile of rows `i ..< i + rows` of the block and
                        /// column slivers `tile`.
                        func addTerms(row i: Int, rows: Int, slivers tile: Range<Int>) {
                            guard lastPanel, let terms else { return }
                            terms.add(to: c + (ic + i) * ldc + jc, ldc: ldc, row: ic + i, rows: rows, slivers: tile, width: width, wide: wide)
                        }
                        // A row-major A is read in place; a transposed one is packed.
                        var packedA: UnsafePointer<Float>?
                        if let sharedA {
                            packedA = UnsafePointer(sharedA + ic * depth)
                        } else if g.transA {
                            GemmPacking.packTransposedA(a: a, lda: lda, i0: ic, rows: height,
                                                        p0: pc, depth: depth, into: workspace.packedA[worker])
                            packedA = UnsafePointer(workspace.packedA[worker])
                        }
                        /// Twelve rows of A at row `i` of the block, as the wide tiles read them: two packed six-row slivers,
                        /// or twelve rows in place.
                        func twelveRows(_ i: Int) -> (UnsafePointer<Float>, UnsafePointer<Float>, Int, Int) {
                            packedA.map { ($0 + i * depth, $0 + (i + mr) * depth, 1, mr) }
                                ?? (a + (ic + i) * lda + pc, a + (ic + i + mr) * lda + pc, lda, 1)
                        }
                        /// The tiles of column sliver `sliver` from row `i` of the block down.
                        func sweep(_ sliver: Int, from start: Int) {
                            let j = sliver * nr
                            let cols = min(nr, width - j)
                            let sliverB = UnsafePointer(panelB + j * depth)
                            var i = start
                            while i < height {
                                let (tile, rows) = (c + (ic + i) * ldc + jc + j, min(mr, height - i))
                                if wide && cols == nr && height - i >= 2 * mr {
                                    let (upper, lower, rowStride, depthStride) = twelveRows(i)
                                    gemmWideTile(kc: depth, upper: upper, lower: lower, rowStride: rowStride, depthStride: depthStride,
                                                 b: sliverB, c: tile, ldc: ldc, alpha: alpha, beta: betaNow)
                                    addTerms(row: i, rows: 2 * mr, slivers: sliver..<(sliver + 1))
                                    i += 2 * mr
                                    continue
                                }
                                if let packedA {
                                    gemmMicroKernel(kc: depth, packedA: packedA + i * depth, b: sliverB, c: tile, ldc: ldc,
                                                    rows: rows, cols: cols, alpha: alpha, beta: betaNow)
                                } else {
                                    gemmMicroKernel(kc: depth, rowsOf: a + (ic + i) * lda + pc, lda: lda, b: sliverB, c: tile, ldc: ldc,
                                                    rows: rows, cols: cols, alpha: alpha, beta: betaNow)
                                }
                                addTerms(row: i, rows: rows, slivers: sliver..<(sliver + 1))
                                i += mr
                            }
                        }
                        // With AVX-512 and A in place, two full slivers at a time take the 8×32 tile down to the last
                        // eight rows.
                        let step = wide && packedA == nil ? 2 : 1
                        for first in stride(from: columns.lowerBound, to: columns.upperBound, by: step) {
                            let last = min(first + step, columns.upperBound)
                            var i = 0
                            if last - first == 2 && last * nr <= width {
                                let (b0, b1) = (panelB + first * nr * depth, panelB + (first + 1) * nr * depth)
                                while height - i >= GemmBlocking.pairRows {
                                    gemmEightRowPairTile(kc: depth, rows: a + (ic + i) * lda + pc, lda: lda, first: b0, second: b1,
                                                         c: c + (ic + i) * ldc + jc + first * nr, ldc: ldc, alpha: alpha, beta: betaNow)
                                    addTerms(row: i, rows: GemmBlocking.pairRows, slivers: first..<last)
                                    i += GemmBlocking.pairRows
                                }
                            }
                            for sliver in first..<last { sweep(sliver, from: i) }
                        }
                    }
                }
            }
        }
    }
    if !fusesTerms { g.addTermsSeparately() }
}
