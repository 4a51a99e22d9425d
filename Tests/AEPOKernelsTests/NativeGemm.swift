@testable import AEPOKernels

/// `sgemm`'s arguments over arrays, valid while `body` runs.
func withGemmOperands(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: [Float], lda: Int, b: [Float], ldb: Int, beta: Float, c: inout [Float], ldc: Int,
    _ body: (GemmOperands) -> Void
) {
    a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            c.withUnsafeMutableBufferPointer { c in
                body(GemmOperands(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                                  a: a.baseAddress!, lda: lda, b: .float32(b.baseAddress!), ldb: ldb,
                                  beta: beta, c: c.baseAddress!, ldc: ldc))
            }
        }
    }
}

/// The Swift GEMM (never OpenBLAS) on arrays, with `sgemm`'s argument labels.
func sgemmNative(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: [Float], lda: Int, b: [Float], ldb: Int, beta: Float, c: inout [Float], ldc: Int
) {
    withGemmOperands(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                     a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: &c, ldc: ldc) { sgemmNative($0) }
}
