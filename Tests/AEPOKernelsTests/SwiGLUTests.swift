import AEPOKernels
import AEPOTestSupport
import Foundation
import XCTest

final class SwiGLUTests: XCTestCase {
    let count = 37  // two SIMD16 blocks and a scalar tail

    /// `Σ c ⊙ silu(g) ⊙ u` in double precision.
    func referenceLoss(_ p: [Double], _ c: [Double]) -> Double {
        (0..<count).map { i in
            let g = p[i], u = p[count + i]
            return c[i] * g / (1 + exp(-g)) * u
        }.reduce(0, +)
    }

    func testForwardAndBackwardMatchDoublePrecisionReference() {
        let g = KernelTesting.random(count, seed: 6, scale: 3), u = KernelTesting.random(count, seed: 7)
        let c = KernelTesting.random(count, seed: 8)
        var h = [Float](repeating: 0, count: count)
        let gf = KernelTesting.floats(g), uf = KernelTesting.floats(u)
        SwiGLU.forward(output: &h, gate: gf, up: uf, count: count)
        XCTAssertEqual(zip(h, c).map { Double($0) * $1 }.reduce(0, +), referenceLoss(g + u, c), accuracy: 1e-5)

        var dg = [Float](repeating: 0, count: count), du = [Float](repeating: 0, count: count)
        SwiGLU.backward(gateGradient: &dg, upGradient: &du, outputGradient: KernelTesting.floats(c), gate: gf, up: uf, count: count)
        let reference = FiniteDifference.gradient(of: { self.referenceLoss($0, c) }, at: g + u)
        KernelTesting.assertGradient(dg, Array(reference[0..<count]), "dgate")
        KernelTesting.assertGradient(du, Array(reference[count...]), "dup")
    }
}
