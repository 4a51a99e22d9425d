@testable import AEPOKernels
import AEPOCore
import XCTest

/// When an OpenBLAS library is installed, its `cblas_sgemm` must agree with the Swift kernels on
/// every transposition (skipped otherwise: OpenBLAS is an optional run-time accelerator).
final class OpenBLASTests: XCTestCase {
    func testAgreesWithNativeKernels() throws {
        guard let blas = OpenBLAS.load() else {
            throw XCTSkip("no OpenBLAS library found (tried \(OpenBLAS.libraryNames))")
        }
        var rng = SeededGenerator(seed: 11)
        let (m, n, k) = (37, 29, 53)
        let a = (0..<(m * k + 3 * k)).map { _ in rng.nextFloat() - 0.5 }
        let b = (0..<(n * k + 3 * n)).map { _ in rng.nextFloat() - 0.5 }
        let start = (0..<(m * (n + 2))).map { _ in rng.nextFloat() }
        for transA in [false, true] {
            for transB in [false, true] {
                let lda = (transA ? m : k) + 1, ldb = (transB ? k : n) + 2, ldc = n + 2
                var native = start, library = start
                sgemmNative(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.75, a: a, lda: lda,
                            b: b, ldb: ldb, beta: -0.5, c: &native, ldc: ldc)
                withGemmOperands(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.75, a: a, lda: lda,
                                 b: b, ldb: ldb, beta: -0.5, c: &library, ldc: ldc) { XCTAssertTrue(blas.sgemm($0)) }
                let worst = zip(native, library).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThan(worst, 1e-5, "transA \(transA) transB \(transB) with \(blas.libraryName)")
            }
        }
    }
}
