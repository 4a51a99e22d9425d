/// The matrix–vector path of `sgemm` for a few rows of `x` against a weight matrix stored
/// `[out, in]`: `C[t, j] = alpha · Σ_p x[t, p] · W[j, p] + beta · C[t, j]` for `t < m`, `j < n`.
///
/// Each output is a dot product of two contiguous rows, so nothing is packed: the threads split the
/// rows of W into chunks small enough for L1, and every chunk is streamed from memory once and then
/// reused from L1 by all groups of up to three rows of `x`.
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
    let (m, n, k, alpha, beta, a, lda, w, ldw, c, ldc) = (g.m, g.n, g.k, g.alpha, g.beta, g.a, g.lda, g.b, g.ldb, g.c, g.ldc)
    // Chunks of W rows: a multiple of 24 (both kernels' row counts divide it), about 16 KB.
    let chunkRows = max(24, 4096 / max(k, 1) / 24 * 24)
    let chunks = (n + chunkRows - 1) / chunkRows
    let maxThreads = m * n * k < 1 << 18 ? 1 : Int.max
    Parallel.forEachWorker(chunks, maxThreads: maxThreads) { chunk, _ in
        let j0 = chunk * chunkRows
        let j1 = min(n, j0 + chunkRows)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 9) { sums in
            let out = sums.baseAddress!
            var t = 0
            while t < m {
                let group = min(3, m - t)
                if group == 1 {
                    let x = a + t * lda
                    var j = j0
                    while j < j1 {
                        let rows = min(8, j1 - j)
                        func row(_ r: Int) -> UnsafePointer<Float> { w + (j + min(r, rows - 1)) * ldw }
                        dot1x8(k: k, x: x, w: (row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7)), into: out)
                        store(out, rows: 1, cols: rows, stride: 8, to: c + t * ldc + j, ldc: ldc, alpha: alpha, beta: beta)
                        j += 8
                    }
                } else {
                    func xRow(_ r: Int) -> UnsafePointer<Float> { a + (t + min(r, group - 1)) * lda }
                    let xs = (xRow(0), xRow(1), xRow(2))
                    var j = j0
                    while j < j1 {
                        let rows = min(3, j1 - j)
                        func row(_ r: Int) -> UnsafePointer<Float> { w + (j + min(r, rows - 1)) * ldw }
                        dot3x3(k: k, x: xs, w: (row(0), row(1), row(2)), into: out)
                        store(out, rows: group, cols: rows, stride: 3, to: c + t * ldc + j, ldc: ldc, alpha: alpha, beta: beta)
                        j += 3
                    }
                }
                t += group
            }
        }
    }
}

/// `C[r, j] = alpha · sums[r·stride + j] + beta · C[r, j]`, not reading C when `beta == 0`.
@inline(__always)
private func store(
    _ sums: UnsafePointer<Float>, rows: Int, cols: Int, stride: Int,
    to c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float
) {
    for r in 0..<rows {
        let row = c + r * ldc
        for j in 0..<cols {
            row[j] = beta == 0 ? alpha * sums[r * stride + j] : alpha * sums[r * stride + j] + beta * row[j]
        }
    }
}

/// Eight dot products of one `x` row with eight W rows: `out[r] = Σ_p x[p] · w_r[p]`.
@inline(__always)
private func dot1x8(
    k: Int, x: UnsafePointer<Float>,
    w: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
        UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
    into out: UnsafeMutablePointer<Float>
) {
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
    out[0] = s0.sum(); out[1] = s1.sum(); out[2] = s2.sum(); out[3] = s3.sum()
    out[4] = s4.sum(); out[5] = s5.sum(); out[6] = s6.sum(); out[7] = s7.sum()
    for p in (k / 8 * 8)..<k {
        out[0] += x[p] * w.0[p]; out[1] += x[p] * w.1[p]; out[2] += x[p] * w.2[p]; out[3] += x[p] * w.3[p]
        out[4] += x[p] * w.4[p]; out[5] += x[p] * w.5[p]; out[6] += x[p] * w.6[p]; out[7] += x[p] * w.7[p]
    }
}

/// Nine dot products of three `x` rows with three W rows: `out[t·3 + r] = Σ_p x_t[p] · w_r[p]`.
/// (Nine accumulators, three W vectors and one x vector fit the 16 AVX registers without spilling.)
@inline(__always)
private func dot3x3(
    k: Int,
    x: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
    w: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
    into out: UnsafeMutablePointer<Float>
) {
    typealias V = SIMD8<Float>
    var s00 = V(), s01 = V(), s02 = V(), s10 = V(), s11 = V(), s12 = V(), s20 = V(), s21 = V(), s22 = V()
    let (w0, w1, w2) = (UnsafeRawPointer(w.0), UnsafeRawPointer(w.1), UnsafeRawPointer(w.2))
    let (x0, x1, x2) = (UnsafeRawPointer(x.0), UnsafeRawPointer(x.1), UnsafeRawPointer(x.2))
    var offset = 0
    let vectorEnd = k / 8 * 32
    while offset < vectorEnd {
        let v0 = w0.loadUnaligned(fromByteOffset: offset, as: V.self)
        let v1 = w1.loadUnaligned(fromByteOffset: offset, as: V.self)
        let v2 = w2.loadUnaligned(fromByteOffset: offset, as: V.self)
        var y = x0.loadUnaligned(fromByteOffset: offset, as: V.self)
        s00 = s00.addingProduct(y, v0); s01 = s01.addingProduct(y, v1); s02 = s02.addingProduct(y, v2)
        y = x1.loadUnaligned(fromByteOffset: offset, as: V.self)
        s10 = s10.addingProduct(y, v0); s11 = s11.addingProduct(y, v1); s12 = s12.addingProduct(y, v2)
        y = x2.loadUnaligned(fromByteOffset: offset, as: V.self)
        s20 = s20.addingProduct(y, v0); s21 = s21.addingProduct(y, v1); s22 = s22.addingProduct(y, v2)
        offset += 32
    }
    out[0] = s00.sum(); out[1] = s01.sum(); out[2] = s02.sum()
    out[3] = s10.sum(); out[4] = s11.sum(); out[5] = s12.sum()
    out[6] = s20.sum(); out[7] = s21.sum(); out[8] = s22.sum()
    for p in (k / 8 * 8)..<k {
        let (v0, v1, v2) = (w.0[p], w.1[p], w.2[p])
        let (y0, y1, y2) = (x.0[p], x.1[p], x.2[p])
        out[0] += y0 * v0; out[1] += y0 * v1; out[2] += y0 * v2
        out[3] += y1 * v0; out[4] += y1 * v1; out[5] += y1 * v2
        out[6] += y2 * v0; out[7] += y2 * v1; out[8] += y2 * v2
    }
}
