/// The packed GEMM's register tile for CPUs with AVX-512: `C[12×16] = alpha · Ã·B̃ + beta · C`
/// for a full tile, where `B̃` is a packed B sliver (`kc` steps of 16 values, as for the AVX2 tile) and `Ã` is two
/// six-row halves, `Ã(r, p) = upper[r·rowStride + p·depthStride]` for `r < 6` and `lower[(r − 6)·rowStride +
/// p·depthStride]` after — two packed A slivers, or twelve rows of A read in place.
///
/// Twelve 16-float accumulators, one per row, each updated by one fused multiply-add per depth step in the same
/// order as the AVX2 tile's two 8-float halves, so every element of C is computed by exactly the same operations:
/// the results are bit for bit those of two AVX2 tiles. This module is compiled for AVX-512; call it only after
/// `GemmKernel.current` has found the instructions.
@inline(never)
public func gemmWideTile(
    kc: Int, upper: UnsafePointer<Float>, lower: UnsafePointer<Float>, rowStride: Int, depthStride: Int,
    b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float
) {
    typealias V = SIMD16<Float>
    var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V()
    var c6 = V(), c7 = V(), c8 = V(), c9 = V(), c10 = V(), c11 = V()
    let (o1, o2, o3, o4, o5) = (rowStride, 2 * rowStride, 3 * rowStride, 4 * rowStride, 5 * rowStride)
    var (pu, pl) = (upper, lower)
    var pb = UnsafeRawPointer(b)
    for _ in 0..<kc {
        let row = pb.load(as: V.self)
        c0 = c0.addingProduct(V(repeating: pu[0]), row)
        c1 = c1.addingProduct(V(repeating: pu[o1]), row)
        c2 = c2.addingProduct(V(repeating: pu[o2]), row)
        c3 = c3.addingProduct(V(repeating: pu[o3]), row)
        c4 = c4.addingProduct(V(repeating: pu[o4]), row)
        c5 = c5.addingProduct(V(repeating: pu[o5]), row)
        c6 = c6.addingProduct(V(repeating: pl[0]), row)
        c7 = c7.addingProduct(V(repeating: pl[o1]), row)
        c8 = c8.addingProduct(V(repeating: pl[o2]), row)
        c9 = c9.addingProduct(V(repeating: pl[o3]), row)
        c10 = c10.addingProduct(V(repeating: pl[o4]), row)
        c11 = c11.addingProduct(V(repeating: pl[o5]), row)
        pu += depthStride
        pl += depthStride
        pb += 64
    }
    store(c0, to: c, alpha: alpha, beta: beta); store(c1, to: c + ldc, alpha: alpha, beta: beta)
    store(c2, to: c + 2 * ldc, alpha: alpha, beta: beta); store(c3, to: c + 3 * ldc, alpha: alpha, beta: beta)
    store(c4, to: c + 4 * ldc, alpha: alpha, beta: beta); store(c5, to: c + 5 * ldc, alpha: alpha, beta: beta)
    store(c6, to: c + 6 * ldc, alpha: alpha, beta: beta); store(c7, to: c + 7 * ldc, alpha: alpha, beta: beta)
    store(c8, to: c + 8 * ldc, alpha: alpha, beta: beta); store(c9, to: c + 9 * ldc, alpha: alpha, beta: beta)
    store(c10, to: c + 10 * ldc, alpha: alpha, beta: beta); store(c11, to: c + 11 * ldc, alpha: alpha, beta: beta)
}

/// The packed GEMM's register tile for eight rows of a row-major A read in place and two adjacent packed B slivers,
/// `second` after `first`: `C[8×32] = alpha · A·B̃ + beta · C`, `A(r, p) = a[r·lda + p]`, columns 16 on from `second`.
/// Sixteen accumulators, two per row, each broadcast of A feeding two fused multiply-adds: ten loads a step for
/// sixteen products (the 12×16 tile's thirteen for twelve bound it by the loads), all in registers, and eight rows
/// of A in place are fewer streams than the cache set they share when `lda` is a multiple of 1,024 floats holds. Every
/// element is computed by the same operations in the same order as by `gemmWideTile` (bit for bit).
@inline(never)
public func gemmEightRowPairTile(
    kc: Int, rows a: UnsafePointer<Float>, lda: Int, first: UnsafePointer<Float>, second: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float
) {
    eightRowPairTile(kc: kc, a: a, rowStride: lda, depthStride: 1, first: first, second: second, c: c, ldc: ldc,
                     alpha: alpha, beta: beta)
}

/// `gemmEightRowPairTile` on the transpose of a row-major matrix read in place: `A(r, p) = a[r + p·lda]` (tile row
/// `r` is its column `r`), as attention's key and value gradients read the probabilities and their gradients.
@inline(never)
public func gemmEightRowPairTile(
    kc: Int, columns a: UnsafePointer<Float>, lda: Int, first: UnsafePointer<Float>, second: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float
) {
    eightRowPairTile(kc: kc, a: a, rowStride: 1, depthStride: lda, first: first, second: second, c: c, ldc: ldc,
                     alpha: alpha, beta: beta)
}

/// The 8×32 tile with `A(r, p) = a[r·rowStride + p·depthStride]`, inlined into each entry point with its strides.
@inline(__always)
private func eightRowPairTile(
    kc: Int, a: UnsafePointer<Float>, rowStride: Int, depthStride: Int, first: UnsafePointer<Float>,
    second: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float
) {
    typealias V = SIMD16<Float>
    var (c0, c1, c2, c3, c4, c5, c6, c7) = (V(), V(), V(), V(), V(), V(), V(), V())
    var (d0, d1, d2, d3, d4, d5, d6, d7) = (V(), V(), V(), V(), V(), V(), V(), V())
    let (a1, a2, a3) = (a + rowStride, a + 2 * rowStride, a + 3 * rowStride)
    let (a4, a5, a6, a7) = (a + 4 * rowStride, a + 5 * rowStride, a + 6 * rowStride, a + 7 * rowStride)
    var (pb, pd) = (UnsafeRawPointer(first), UnsafeRawPointer(second))
    for p in 0..<kc {
        let q = p * depthStride
        let (x, y) = (pb.load(as: V.self), pd.load(as: V.self))
        var s = V(repeating: a[q]); c0 = c0.addingProduct(s, x); d0 = d0.addingProduct(s, y)
        s = V(repeating: a1[q]); c1 = c1.addingProduct(s, x); d1 = d1.addingProduct(s, y)
        s = V(repeating: a2[q]); c2 = c2.addingProduct(s, x); d2 = d2.addingProduct(s, y)
        s = V(repeating: a3[q]); c3 = c3.addingProduct(s, x); d3 = d3.addingProduct(s, y)
        s = V(repeating: a4[q]); c4 = c4.addingProduct(s, x); d4 = d4.addingProduct(s, y)
        s = V(repeating: a5[q]); c5 = c5.addingProduct(s, x); d5 = d5.addingProduct(s, y)
        s = V(repeating: a6[q]); c6 = c6.addingProduct(s, x); d6 = d6.addingProduct(s, y)
        s = V(repeating: a7[q]); c7 = c7.addingProduct(s, x); d7 = d7.addingProduct(s, y)
        pb += 64
        pd += 64
    }
    store(c0, to: c, alpha: alpha, beta: beta); store(d0, to: c + 16, alpha: alpha, beta: beta)
    store(c1, to: c + ldc, alpha: alpha, beta: beta); store(d1, to: c + ldc + 16, alpha: alpha, beta: beta)
    store(c2, to: c + 2 * ldc, alpha: alpha, beta: beta); store(d2, to: c + 2 * ldc + 16, alpha: alpha, beta: beta)
    store(c3, to: c + 3 * ldc, alpha: alpha, beta: beta); store(d3, to: c + 3 * ldc + 16, alpha: alpha, beta: beta)
    store(c4, to: c + 4 * ldc, alpha: alpha, beta: beta); store(d4, to: c + 4 * ldc + 16, alpha: alpha, beta: beta)
    store(c5, to: c + 5 * ldc, alpha: alpha, beta: beta); store(d5, to: c + 5 * ldc + 16, alpha: alpha, beta: beta)
    store(c6, to: c + 6 * ldc, alpha: alpha, beta: beta); store(d6, to: c + 6 * ldc + 16, alpha: alpha, beta: beta)
    store(c7, to: c + 7 * ldc, alpha: alpha, beta: beta); store(d7, to: c + 7 * ldc + 16, alpha: alpha, beta: beta)
}

/// `row[0..<16] = alpha · x + beta · row[0..<16]` (a fused multiply-add per element, as the AVX2 tile's store), not
/// reading `row` when `beta == 0`.
@inline(__always)
private func store(_ x: SIMD16<Float>, to row: UnsafeMutablePointer<Float>, alpha: Float, beta: Float) {
    let raw = UnsafeMutableRawPointer(row)
    var y = x * alpha
    if beta != 0 { y = y.addingProduct(raw.loadUnaligned(as: SIMD16<Float>.self), beta) }
    raw.storeBytes(of: y, as: SIMD16<Float>.self)
}
