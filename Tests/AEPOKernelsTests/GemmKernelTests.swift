import AEPOCore
@testable import AEPOKernels
import AEPOKernelsAVX512
import XCTest

/// The AVX-512 register tile gives exactly the base tile's results (the same fused multiply-adds in the same order per
/// element), on every path of the packed GEMM that can take it; `GemmTests` checks both against double precision.
final class GemmKernelTests: XCTestCase {
    /// C from `kernel` for one shape, seeded operands, C starting from seeded values.
    func product(kernel: GemmKernel, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, beta: Float, seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        let a = (0..<(m * k)).map { _ in rng.nextFloat() * 2 - 1 }
        let b = (0..<(k * n)).map { _ in rng.nextFloat() * 2 - 1 }
        var c = (0..<(m * n)).map { _ in rng.nextFloat() * 2 - 1 }
        withGemmOperands(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.75, a: a, lda: transA ? m : k,
                         b: b, ldb: transB ? k : n, beta: beta, c: &c, ldc: n) { operands in
            var operands = operands
            operands.kernel = kernel
            sgemmNative(operands)
        }
        return c
    }

    func testAVX512TileEqualsTheBaseTileBitForBit() throws {
        try XCTSkipUnless(GemmKernel.avx512Available, "this CPU has no AVX-512")
        // Rows in place (transA false) and packed A (transA true, per task and shared); twelve-row tiles with a
        // six-row and a ragged remainder; ragged columns; more than one depth panel; beta 0 and not.
        var seed: UInt64 = 1
        for (transA, transB) in [(false, true), (false, false), (true, false), (true, true)] {
            for (m, n, k) in [(24, 32, 16), (127, 35, 300), (250, 50, 40), (36, 129, 513)] {
                for beta: Float in [0, 0.5] {
                    let base = product(kernel: .base, transA: transA, transB: transB, m: m, n: n, k: k, beta: beta, seed: seed)
                    let wide = product(kernel: .avx512, transA: transA, transB: transB, m: m, n: n, k: k, beta: beta, seed: seed)
                    XCTAssertEqual(base.map(\.bitPattern), wide.map(\.bitPattern), "transA \(transA) transB \(transB) \(m)×\(n)×\(k) beta \(beta)")
                    seed += 1
                }
            }
        }
    }

    func testWideTileEqualsTwoBaseTiles() throws {
        try XCTSkipUnless(GemmKernel.avx512Available, "this CPU has no AVX-512")
        var rng = SeededGenerator(seed: 3)
        let kc = 37, (mr, nr) = (GemmBlocking.mr, GemmBlocking.nr)
        let packedA = (0..<(2 * mr * kc)).map { _ in rng.nextFloat() * 2 - 1 }, packedB = (0..<(kc * nr)).map { _ in rng.nextFloat() * 2 - 1 }
        let start = (0..<(2 * mr * nr)).map { _ in rng.nextFloat() * 2 - 1 }
        for beta: Float in [0, -1.5] {
            var base = start, wide = start
            packedA.withUnsafeBufferPointer { a in
                packedB.withUnsafeBufferPointer { b in
                    base.withUnsafeMutableBufferPointer { c in
                        for half in 0..<2 {
                            gemmMicroKernel(kc: kc, packedA: a.baseAddress! + half * mr * kc, b: b.baseAddress!, c: c.baseAddress! + half * mr * nr,
                                            ldc: nr, rows: mr, cols: nr, alpha: 1.25, beta: beta)
                        }
                    }
                    wide.withUnsafeMutableBufferPointer { c in
                        gemmWideTile(kc: kc, upper: a.baseAddress!, lower: a.baseAddress! + mr * kc, rowStride: 1, depthStride: mr,
                                     b: b.baseAddress!, c: c.baseAddress!, ldc: nr, alpha: 1.25, beta: beta)
                    }
                }
            }
            XCTAssertEqual(base.map(\.bitPattern), wide.map(\.bitPattern), "beta \(beta)")
            XCTAssertNotEqual(base, start)
        }
    }
}
