/// Block sizes of the packed GEMM: a `mr × nr` register tile, A blocks of `mc × kc` (kept in L2),
/// B panels of `kc × nc` (kept in L3), B slivers of `kc × nr` (kept in L1). With A read in place, B's panels are
/// packed in groups of up to `groupFloats` floats, `groupColumns` wide, so that a task's `mc × groupColumns` block of C
/// stays in L2 across the group's panels.
enum GemmBlocking {
    static let mr = 6
    static let nr = 16
    static let kc = 256
    static let mc = 120
    static let nc = 4080
    static let groupColumns = 2048
    static let groupFloats = 1 << 21
    /// Rows of A (read in place) per AVX-512 tile over two slivers (`gemmEightRowPairTile`).
    static let pairRows = 8
}

/// The register-blocked inner kernel: `C[rows×cols] = alpha · Ã·B̃ + beta · C` for one 6×16 tile,
/// where `B̃` is a packed B sliver (`kc` steps of 16 values) and `Ã(r, p) = a[r·aRowStride +
/// p·aDepthStride]`: a packed A sliver (`kc` steps of 6 values) by default, or A read in place —
/// `(lda, 1)` for rows of a row-major matrix, `(1, lda)` for its transpose. Twelve SIMD8
/// accumulators hold the tile; each step is 12 fused multiply-adds.
/// `rows ≤ 6`, `cols ≤ 16` cover the ragged edges: rows past `rows` re-read the last valid row
/// (A is never read outside the tile), columns past `cols` read the sliver's zero padding; neither
/// is stored. With `beta == 0`, C is not read.
///
/// Called through the three entry points below, one per A layout, so that each is compiled with
/// its strides as constants where they are known.
@inline(__always)
private func gemmMicroKernel(
    kc: Int, a: UnsafePointer<Float>, aRowStride: Int, aDepthStride: Int,
    b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int,
    alpha: Float, beta: Float
) {
    typealias V = SIMD8<Float>
    var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
    var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
    let last = rows - 1
    let (o1, o2, o3) = (min(1, last) * aRowStride, min(2, last) * aRowStride, min(3, last) * aRowStride)
    let (o4, o5) = (min(4, last) * aRowStride, min(5, last) * aRowStride)
    var pa = a
    var pb = UnsafeRawPointer(b)
    for _ in 0..<kc {
        let b0 = pb.load(as: V.self)
        let b1 = pb.load(fromByteOffset: 32, as: V.self)
        var s = V(repeating: pa[0])
        c00 = c00.addingProduct(s, b0); c01 = c01.addingProduct(s, b1)
        s = V(repeating: pa[o1])
        c10 = c10.addingProduct(s, b0); c11 = c11.addingProduct(s, b1)
        s = V(repeating: pa[o2])
        c20 = c20.addingProduct(s, b0); c21 = c21.addingProduct(s, b1)
        s = V(repeating: pa[o3])
        c30 = c30.addingProduct(s, b0); c31 = c31.addingProduct(s, b1)
        s = V(repeating: pa[o4])
        c40 = c40.addingProduct(s, b0); c41 = c41.addingProduct(s, b1)
        s = V(repeating: pa[o5])
        c50 = c50.addingProduct(s, b0); c51 = c51.addingProduct(s, b1)
        pa += aDepthStride
        pb += 64
    }
    if rows == GemmBlocking.mr && cols == GemmBlocking.nr {
        storeRow(c00, c01, to: c, alpha: alpha, beta: beta)
        storeRow(c10, c11, to: c + ldc, alpha: alpha, beta: beta)
        storeRow(c20, c21, to: c + 2 * ldc, alpha: alpha, beta: beta)
        storeRow(c30, c31, to: c + 3 * ldc, alpha: alpha, beta: beta)
        storeRow(c40, c41, to: c + 4 * ldc, alpha: alpha, beta: beta)
        storeRow(c50, c51, to: c + 5 * ldc, alpha: alpha, beta: beta)
        return
    }
    // Ragged edge: spill the tile and write only its valid part.
    storeSpilledTile((c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51), width: GemmBlocking.nr,
                     rows: rows, cols: cols, to: c, ldc: ldc, alpha: alpha, beta: beta)
}

/// The micro-kernel on a packed A sliver (`kc` steps of 6 values).
@inline(never)
func gemmMicroKernel(
    kc: Int, packedA a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, alpha: Float, beta: Float
) {
    gemmMicroKernel(kc: kc, a: a, aRowStride: 1, aDepthStride: GemmBlocking.mr, b: b, c: c, ldc: ldc,
                    rows: rows, cols: cols, alpha: alpha, beta: beta)
}

/// The micro-kernel on rows of a row-major A read in place, `lda` floats apart.
@inline(never)
func gemmMicroKernel(
    kc: Int, rowsOf a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, alpha: Float, beta: Float
) {
    gemmMicroKernel(kc: kc, a: a, aRowStride: lda, aDepthStride: 1, b: b, c: c, ldc: ldc,
                    rows: rows, cols: cols, alpha: alpha, beta: beta)
}

/// The micro-kernel on the transpose of a row-major matrix read in place: tile row `r` is its
/// column `r`, depth step `p` its row `p`, `lda` floats apart.
@inline(never)
func gemmMicroKernel(
    kc: Int, columnsOf a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, alpha: Float, beta: Float
) {
    gemmMicroKernel(kc: kc, a: a, aRowStride: 1, aDepthStride: lda, b: b, c: c, ldc: ldc,
                    rows: rows, cols: cols, alpha: alpha, beta: beta)
}

/// Twelve SIMD8 accumulators of a register tile, row by row.
typealias TileRegisters = (
    SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>,
    SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>
)

/// The ragged edge of a register tile whose rows are `width` floats: spills `tile` and writes
/// `C[r, j] = alpha · tile[r, j] + beta · C[r, j]` for `r < rows`, `j < cols` only, not reading C
/// when `beta == 0`.
@inline(__always)
func storeSpilledTile(
    _ tile: TileRegisters, width: Int, rows: Int, cols: Int,
    to c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float
) {
    withUnsafeBytes(of: tile) { bytes in
        let values = bytes.baseAddress!.assumingMemoryBound(to: Float.self)
        for r in 0..<rows {
            let row = c + r * ldc
            let source = values + r * width
            if beta == 0 {
                for j in 0..<cols { row[j] = alpha * source[j] }
            } else {
                for j in 0..<cols { row[j] = alpha * source[j] + beta * row[j] }
            }
        }
    }
}

/// `row[0..<16] = alpha · (lo, hi) + beta · row[0..<16]`, not reading `row` when `beta == 0`.
@inline(__always)
private func storeRow(_ lo: SIMD8<Float>, _ hi: SIMD8<Float>, to row: UnsafeMutablePointer<Float>, alpha: Float, beta: Float) {
    let raw = UnsafeMutableRawPointer(row)
    var x = lo * alpha
    var y = hi * alpha
    if beta != 0 {
        x = x.addingProduct(raw.loadUnaligned(as: SIMD8<Float>.self), beta)
        y = y.addingProduct(raw.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self), beta)
    }
    raw.storeBytes(of: x, as: SIMD8<Float>.self)
    raw.storeBytes(of: y, toByteOffset: 32, as: SIMD8<Float>.self)
}
