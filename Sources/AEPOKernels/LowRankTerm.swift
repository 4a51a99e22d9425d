/// A low-rank update of some output columns of a product, `C[:, columns] += alpha · U · Vᵀ`, with `U` `[m, rank]`
/// (rows `rank` floats apart) and `V` `[columns.count, rank]` (`nn.Linear`'s layout): LoRA's `s · (x·Aᵀ)·Bᵀ`
/// (`LowRankLinear`) beside the frozen layer's `x·Wᵀ`. With `vTransposed`, `v` holds `Vᵀ` (`[rank, columns.count]`):
/// LoRA's `(∂L/∂u)·A` beside the frozen layer's input gradient `(∂L/∂y)·W`.
///
/// `sgemm(…, adding:)` adds its terms after the product, in order, exactly as separate `sgemm` calls with `beta = 1`
/// would (the same fused multiply-adds per element, bit for bit). Where the product takes the packed path with A read
/// in place, each term is added to every register tile of C right after the tile's last depth panel, while the tile is
/// still in the first-level cache, instead of reading and writing the whole of C once more per term.
public struct LowRankTerm {
    /// The output columns it adds to.
    public var columns: Range<Int>
    public var u: UnsafePointer<Float>
    public var v: UnsafePointer<Float>
    public var rank: Int
    public var alpha: Float
    /// Whether `v` holds `Vᵀ`, `[rank, columns.count]`, rather than `V`.
    public var vTransposed: Bool

    public init(columns: Range<Int>, u: UnsafePointer<Float>, v: UnsafePointer<Float>, rank: Int, alpha: Float,
                vTransposed: Bool = false) {
        precondition(rank > 0, "a low-rank term needs a positive rank")
        (self.columns, self.u, self.v, self.rank, self.alpha, self.vTransposed) = (columns, u, v, rank, alpha, vTransposed)
    }

    /// Floats between consecutive rows of `v` as stored.
    var ldv: Int { vTransposed ? columns.count : rank }

    /// `C[:, columns] += alpha · U · Vᵀ` for `m` rows of C (`ldc` floats apart) as its own `sgemm` call.
    func add(m: Int, to c: UnsafeMutablePointer<Float>, ldc: Int) {
        sgemm(transA: false, transB: !vTransposed, m: m, n: columns.count, k: rank, alpha: alpha, a: u, lda: rank, b: v, ldb: ldv,
              beta: 1, c: c + columns.lowerBound, ldc: ldc)
    }
}

/// The terms over one column panel of a packed product, with `Vᵀ` packed as B slivers `rank` deep, and their addition
/// to the product's register tiles after its last depth panel: the same tiles, in the same order per element, as the
/// terms' own `sgemm` calls would use (`rank` split into panels of `kc`), so the sums are the same bit for bit.
struct PackedTerms {
    private struct Entry {
        let term: LowRankTerm
        /// The panel's slivers it covers.
        let slivers: Range<Int>
        let packed: UnsafeMutablePointer<Float>

        /// Sliver `s` of the panel, `p0` steps deep.
        func sliver(_ s: Int, depth p0: Int) -> UnsafePointer<Float> {
            UnsafePointer(packed + ((s - slivers.lowerBound) * term.rank + p0) * GemmBlocking.nr)
        }
    }

    private let entries: [Entry]

    /// Packs the terms over `panel` (whose start is a multiple of 16, as are the terms' starts) into a buffer of
    /// `buffer(count)` floats.
    init(_ terms: [LowRankTerm], panel: Range<Int>, into buffer: (Int) -> UnsafeMutablePointer<Float>) {
        let nr = GemmBlocking.nr
        let overlaps = terms.map { $0.columns.clamped(to: panel) }
        let sliverRanges = overlaps.map { overlap in
            (overlap.lowerBound - panel.lowerBound) / nr ..< (overlap.upperBound - panel.lowerBound + nr - 1) / nr
        }
        let total = zip(terms, sliverRanges).reduce(0) { $0 + $1.0.rank * $1.1.count * nr }
        var next = buffer(max(total, 1))
        var entries: [Entry] = []
        for ((term, overlap), slivers) in zip(zip(terms, overlaps), sliverRanges) where !overlap.isEmpty {
            GemmPacking.packB(transposed: !term.vTransposed, b: term.v, ldb: term.ldv, p0: 0, depth: term.rank,
                              j0: overlap.lowerBound - term.columns.lowerBound, cols: overlap.count,
                              slivers: 0..<slivers.count, into: next)
            entries.append(Entry(term: term, slivers: slivers, packed: next))
            next += term.rank * slivers.count * nr
        }
        self.entries = entries
    }

    /// Adds every term over the panel's slivers `tile` to C's rows `row ..< row + rows` (`c` at that row and the
    /// panel's first column, `width` columns in the panel), with the tiles `tileProduct` chooses for that shape — those
    /// the product used there.
    func add(to c: UnsafeMutablePointer<Float>, ldc: Int, row: Int, rows: Int, slivers tile: Range<Int>, width: Int, wide: Bool) {
        let (nr, kc) = (GemmBlocking.nr, GemmBlocking.kc)
        for entry in entries {
            let covered = entry.slivers.clamped(to: tile)
            if covered.isEmpty { continue }
            let rank = entry.term.rank
            let cols = min(width, covered.upperBound * nr) - covered.lowerBound * nr
            for p0 in stride(from: 0, to: rank, by: kc) {
                tileProduct(rows: rows, cols: cols, depth: min(kc, rank - p0), a: .rows(entry.term.u + row * rank + p0, stride: rank),
                            b: entry.sliver(covered.lowerBound, depth: p0), bDepth: rank, c: c + covered.lowerBound * nr, ldc: ldc,
                            alpha: entry.term.alpha, beta: 1, wide: wide)
            }
        }
    }
}
