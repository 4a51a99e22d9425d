/// Copies of A and B blocks into the layouts the micro-kernel streams through: contiguous slivers,
/// zero-padded to whole tiles, with any transposition resolved here.
enum GemmPacking {
    /// Packs `Aᵀ[i0 ..< i0+rows, p0 ..< p0+depth]` (A stored `[k, m]`, so element `(i, p)` is
    /// `a[p·lda + i]`) as slivers of `mr` rows: sliver `s` holds, for each `p`, the `mr` values of rows
    /// `s·mr ..< s·mr+mr` (zero past `rows`). A row-major A needs no packing: the micro-kernel reads it in place.
    static func packTransposedA(
        a: UnsafePointer<Float>, lda: Int,
        i0: Int, rows: Int, p0: Int, depth: Int, into dst: UnsafeMutablePointer<Float>
    ) {
        let mr = GemmBlocking.mr
        var s = 0
        while s < rows {
            let height = min(mr, rows - s)
            let d = dst + s * depth
            // Each step reads `height` adjacent values.
            var src = a + p0 * lda + i0 + s
            if height == mr {
                // Six values as one 4-wide and one 2-wide copy.
                for p in 0..<depth {
                    let (from, to) = (UnsafeRawPointer(src), UnsafeMutableRawPointer(d + p * mr))
                    to.storeBytes(of: from.loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
                    to.storeBytes(of: from.loadUnaligned(fromByteOffset: 16, as: SIMD2<Float>.self), toByteOffset: 16, as: SIMD2<Float>.self)
                    src += lda
                }
            } else {
                for p in 0..<depth {
                    for r in 0..<mr { d[p * mr + r] = r < height ? src[r] : 0 }
                    src += lda
                }
            }
            s += mr
        }
    }

    /// Packs slivers `firstSliver ..< lastSliver` of `op(B)[p0 ..< p0+depth, j0 ..< j0+cols]`, each
    /// `nr` columns wide: sliver `s` holds, for each `p`, the `nr` values of columns
    /// `s·nr ..< s·nr+nr` (zero past `cols`). B's values are widened to float32 as they are copied.
    static func packB<Element: WeightElement>(
        transposed: Bool, b: UnsafePointer<Element>, ldb: Int,
        p0: Int, depth: Int, j0: Int, cols: Int,
        slivers: Range<Int>, into dst: UnsafeMutablePointer<Float>
    ) {
        let nr = GemmBlocking.nr
        for sliver in slivers {
            let s = sliver * nr
            let width = min(nr, cols - s)
            let d = dst + s * depth
            if transposed {
                // op(B)(p, j) = b[j·ldb + p]: read each source row contiguously.
                for c in 0..<nr {
                    if c < width {
                        let src = b + (j0 + s + c) * ldb + p0
                        for p in 0..<depth { d[p * nr + c] = src[p].float }
                    } else {
                        for p in 0..<depth { d[p * nr + c] = 0 }
                    }
                }
            } else if width == nr {
                var src = b + p0 * ldb + j0 + s
                let out = UnsafeMutableRawPointer(d)
                for p in 0..<depth {
                    out.storeBytes(of: Element.load16(src), toByteOffset: p * 64, as: SIMD16<Float>.self)
                    src += ldb
                }
            } else {
                var src = b + p0 * ldb + j0 + s
                for p in 0..<depth {
                    for c in 0..<nr { d[p * nr + c] = c < width ? src[c].float : 0 }
                    src += ldb
                }
            }
        }
    }
}
