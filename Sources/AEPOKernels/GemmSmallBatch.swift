/// The matrix–vector path of `sgemm` for a few rows of `x` against a weight matrix stored
/// `[out, in]`: `C[t, j] = alpha · Σ_p x[t, p] · W[j, p] + beta · C[t, j]` for `t < m`, `j < n`.
///
/// Each output is a dot product of two contiguous rows, so nothing is packed: the threads split the
/// rows of W into chunks small enough for L1, and every chunk is streamed from memory once and then
/// reused from L1 by all pairs of rows of `x` (a bfloat16 W is first widened chunk by chunk into a float32 copy).
/// Each register tile ends with one transposing reduction of its eight accumulators and vector stores, so short rows
/// stay efficient.
func sgemmSmallBatch(_ g: GemmOperands) {
    precondition(g.transB, "the small-batch path computes x·Wᵀ")
    if g.transA {
        // op(A) = Aᵀ: gather the few rows of x into a contiguous copy first.
        let x = UnsafeMutablePointer<Float>.allocate(capacity: g.m * g.k)
        defer { x.deallocate() }
        for t in 0..<g.m {
            for p in 0..<g.k { x[t * g.k + p] = g.a[p * g.lda + t] }
        }
        var gathered = g
        (gathered.transA, gathered.a, gathered.lda) = (false, UnsafePointer(x), g.k)
        sgemmSmallBatch(gathered)
        return
    }
    let (m, n, k, alpha, beta, a, lda, c, ldc) = (g.m, g.n, g.k, g.alpha, g.beta, g.a, g.lda, g.c, g.ldc)
    // Chunks of W rows: a multiple of 8 (both tiles' row counts divide it), about 16 KB.
    let chunkRows = max(8, 4096 / max(k, 1) / 8 * 8)
    let chunks = (n + chunkRows - 1) / chunkRows
    let maxThreads = m * n * k < 1 << 18 ? 1 : Int.max
    Parallel.forEachWorker(chunks, maxThreads: maxThreads) { chunk, _ in
        let j0 = chunk * chunkRows
        let j1 = min(n, j0 + chunkRows)
        switch g.b {
        case .float32(let w):
            multiplyChunk(m: m, rows: j1 - j0, k: k, alpha: alpha, beta: beta, a: a, lda: lda, w: w + j0 * g.ldb, ldw: g.ldb,
                          c: c + j0, ldc: ldc)
        case .bfloat16(let w):
            // The chunk's rows widened into a float32 copy, multiplied as float32 rows are.
            withUnsafeTemporaryAllocation(of: Float.self, capacity: (j1 - j0) * k) { widened in
                for j in j0..<j1 {
                    BFloat16.widen(w + j * g.ldb, into: widened.baseAddress! + (j - j0) * k, count: k)
                }
                multiplyChunk(m: m, rows: j1 - j0, k: k, alpha: alpha, beta: beta, a: a, lda: lda, w: widened.baseAddress!, ldw: k,
                              c: c + j0, ldc: ldc)
            }
        }
    }
}

/// `C[t, j] = alpha · x_t · w_j + beta · C[t, j]` for `t < m`, `j < rows`: one chunk of W rows (row stride `ldw`)
/// against every row of `x`, in tiles of 1 × 8 or 2 × 4.
@inline(__always)
private func multiplyChunk(
    m: Int, rows n: Int, k: Int, alpha: Float, beta: Float, a: UnsafePointer<Float>, lda: Int,
    w: UnsafePointer<Float>, ldw: Int, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    var t = 0
    while t < m {
        if m - t == 1 {
            let x = a + t * lda
            var j = 0
            while j < n {
                let rows = min(8, n - j)
                func row(_ r: Int) -> UnsafePointer<Float> { w + (j + min(r, rows - 1)) * ldw }
                let sums = dot1x8(k: k, x: x, w: (row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7)))
                store(sums, rows: 1, cols: rows, width: 8, to: c + t * ldc + j, ldc: ldc, alpha: alpha, beta: beta)
                j += 8
            }
            t += 1
        } else {
            let xs = (a + t * lda, a + (t + 1) * lda)
            var j = 0
            while j < n {
                let rows = min(4, n - j)
                func row(_ r: Int) -> UnsafePointer<Float> { w + (j + min(r, rows - 1)) * ldw }
                let sums = dot2x4(k: k, x: xs, w: (row(0), row(1), row(2), row(3)))
                store(sums, rows: 2, cols: rows, width: 4, to: c + t * ldc + j, ldc: ldc, alpha: alpha, beta: beta)
                j += 4
            }
            t += 2
        }
    }
}

/// `C[r, j] = alpha · sums[r·width + j] + beta · C[r, j]` for `r < rows`, `j < cols`, not reading C
/// when `beta == 0`; whole rows of 4 or 8 use vector loads and stores.
@inline(__always)
private func store(
    _ sums: SIMD8<Float>, rows: Int, cols: Int, width: Int,
    to c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float
) {
    let scaled = sums * alpha
    if cols == width && width == 8 {
        let raw = UnsafeMutableRawPointer(c)
        let value = beta == 0 ? scaled : scaled.addingProduct(raw.loadUnaligned(as: SIMD8<Float>.self), beta)
        raw.storeBytes(of: value, as: SIMD8<Float>.self)
    } else if cols == width && width == 4 {
        for r in 0..<rows {
            let part = r == 0 ? scaled.lowHalf : scaled.highHalf
            let raw = UnsafeMutableRawPointer(c + r * ldc)
            let value = beta == 0 ? part : part.addingProduct(raw.loadUnaligned(as: SIMD4<Float>.self), beta)
            raw.storeBytes(of: value, as: SIMD4<Float>.self)
        }
    } else {
        for r in 0..<rows {
            let row = c + r * ldc
            for j in 0..<cols {
                row[j] = beta == 0 ? scaled[r * width + j] : scaled[r * width + j] + beta * row[j]
            }
        }
    }
}

/// `[x0 + x1 pairwise, y0 + y1 pairwise]` within each 128-bit half (the AVX `vhaddps` pattern).
@inline(__always)
private func pairwiseSums(_ x: SIMD8<Float>, _ y: SIMD8<Float>) -> SIMD8<Float> {
    SIMD8(x[0] + x[1], x[2] + x[3], y[0] + y[1], y[2] + y[3], x[4] + x[5], x[6] + x[7], y[4] + y[5], y[6] + y[7])
}

/// The eight horizontal sums `[a0.sum(), …, a7.sum()]` as one vector: fold the halves of
/// `(a0, a4)`, `(a1, a5)`, `(a2, a6)`, `(a3, a7)` together, then two rounds of pairwise sums.
@inline(__always)
private func horizontalSums(
    _ a0: SIMD8<Float>, _ a1: SIMD8<Float>, _ a2: SIMD8<Float>, _ a3: SIMD8<Float>,
    _ a4: SIMD8<Float>, _ a5: SIMD8<Float>, _ a6: SIMD8<Float>, _ a7: SIMD8<Float>
) -> SIMD8<Float> {
    func fold(_ low: SIMD8<Float>, _ high: SIMD8<Float>) -> SIMD8<Float> {
        SIMD8(lowHalf: low.lowHalf, highHalf: high.lowHalf) + SIMD8(lowHalf: low.highHalf, highHalf: high.highHalf)
    }
    return pairwiseSums(pairwiseSums(fold(a0, a4), fold(a1, a5)), pairwiseSums(fold(a2, a6), fold(a3, a7)))
}

/// Eight dot products of one `x` row with eight W rows: lane `r` is `Σ_p x[p] · w_r[p]`.
@inline(__always)
private func dot1x8(
    k: Int, x: UnsafePointer<Float>,
    w: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
        UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>)
) -> SIMD8<Float> {
    typealias V = SIMD8<Float>
    var s0 = V(), s1 = V(), s2 = V(), s3 = V(), s4 = V(), s5 = V(), s6 = V(), s7 = V()
    let (w0, w1, w2, w3) = (UnsafeRawPointer(w.0), UnsafeRawPointer(w.1), UnsafeRawPointer(w.2), UnsafeRawPointer(w.3))
    let (w4, w5, w6, w7) = (UnsafeRawPointer(w.4), UnsafeRawPointer(w.5), UnsafeRawPointer(w.6), UnsafeRawPointer(w.7))
    let xv = UnsafeRawPointer(x)
    var offset = 0
    let vectorEnd = k / 8 * 32
    while offset < vectorEnd {
        let v = xv.loadUnaligned(fromByteOffset: offset, as: V.self)
        s0 = s0.addingProduct(v, w0.loadUnaligned(fromByteOffset: offset, as: V.self))
        s1 = s1.addingProduct(v, w1.loadUnaligned(fromByteOffset: offset, as: V.self))
        s2 = s2.addingProduct(v, w2.loadUnaligned(fromByteOffset: offset, as: V.self))
        s3 = s3.addingProduct(v, w3.loadUnaligned(fromByteOffset: offset, as: V.self))
        s4 = s4.addingProduct(v, w4.loadUnaligned(fromByteOffset: offset, as: V.self))
        s5 = s5.addingProduct(v, w5.loadUnaligned(fromByteOffset: offset, as: V.self))
        s6 = s6.addingProduct(v, w6.loadUnaligned(fromByteOffset: offset, as: V.self))
        s7 = s7.addingProduct(v, w7.loadUnaligned(fromByteOffset: offset, as: V.self))
        offset += 32
    }
    var sums = horizontalSums(s0, s1, s2, s3, s4, s5, s6, s7)
    for p in (k / 8 * 8)..<k {
        sums = sums.addingProduct(V(repeating: x[p]), V(w.0[p], w.1[p], w.2[p], w.3[p], w.4[p], w.5[p], w.6[p], w.7[p]))
    }
    return sums
}

/// Eight dot products of two `x` rows with four W rows: lane `t·4 + r` is `Σ_p x_t[p] · w_r[p]`.
@inline(__always)
private func dot2x4(
    k: Int,
    x: (UnsafePointer<Float>, UnsafePointer<Float>),
    w: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>)
) -> SIMD8<Float> {
    typealias V = SIMD8<Float>
    var s00 = V(), s01 = V(), s02 = V(), s03 = V(), s10 = V(), s11 = V(), s12 = V(), s13 = V()
    let (w0, w1, w2, w3) = (UnsafeRawPointer(w.0), UnsafeRawPointer(w.1), UnsafeRawPointer(w.2), UnsafeRawPointer(w.3))
    let (x0, x1) = (UnsafeRawPointer(x.0), UnsafeRawPointer(x.1))
    var offset = 0
    let vectorEnd = k / 8 * 32
    while offset < vectorEnd {
        let v0 = w0.loadUnaligned(fromByteOffset: offset, as: V.self)
        let v1 = w1.loadUnaligned(fromByteOffset: offset, as: V.self)
        let v2 = w2.loadUnaligned(fromByteOffset: offset, as: V.self)
        let v3 = w3.loadUnaligned(fromByteOffset: offset, as: V.self)
        let y0 = x0.loadUnaligned(fromByteOffset: offset, as: V.self)
        let y1 = x1.loadUnaligned(fromByteOffset: offset, as: V.self)
        s00 = s00.addingProduct(y0, v0); s01 = s01.addingProduct(y0, v1); s02 = s02.addingProduct(y0, v2); s03 = s03.addingProduct(y0, v3)
        s10 = s10.addingProduct(y1, v0); s11 = s11.addingProduct(y1, v1); s12 = s12.addingProduct(y1, v2); s13 = s13.addingProduct(y1, v3)
        offset += 32
    }
    var sums = horizontalSums(s00, s01, s02, s03, s10, s11, s12, s13)
    for p in (k / 8 * 8)..<k {
        let wp = SIMD4(w.0[p], w.1[p], w.2[p], w.3[p])
        sums = sums.addingProduct(V(lowHalf: SIMD4(repeating: x.0[p]), highHalf: SIMD4(repeating: x.1[p])), V(lowHalf: wp, highHalf: wp))
    }
    return sums
}
