/// Single-precision matrix multiply on row-major matrices:
/// `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C`, where `op(X)` is `X` or `Xᵀ`.
///
/// `lda`, `ldb`, `ldc` are row strides (elements between consecutive rows) of the matrices as
/// stored, before any transposition — the row-major convention of `cblas_sgemm(CblasRowMajor, …)`.
/// With `beta == 0`, `C` is overwritten and may hold garbage (NaN included) on entry.
public func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    // Reference implementation; replaced by the blocked SIMD kernel.
    for i in 0..<m {
        for j in 0..<n {
            var sum: Float = 0
            for p in 0..<k {
                let x = transA ? a[p * lda + i] : a[i * lda + p]
                let y = transB ? b[j * ldb + p] : b[p * ldb + j]
                sum += x * y
            }
            let old = beta == 0 ? 0 : beta * c[i * ldc + j]
            c[i * ldc + j] = alpha * sum + old
        }
    }
}
