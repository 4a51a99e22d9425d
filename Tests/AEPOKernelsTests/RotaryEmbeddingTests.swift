import AEPOKernels
import AEPOTestSupport
import Foundation
import XCTest

final class RotaryEmbeddingTests: XCTestCase {
    let tokens = 3, heads = 2, headDim = 6, theta = 10_000.0
    let positions: [Int32] = [0, 5, 2]

    /// `Σ c ⊙ RoPE(x)` in double precision: rotate_half with `θ_i = pos · theta^(−2i/d)`.
    func referenceLoss(_ x: [Double], _ c: [Double]) -> Double {
        let half = headDim / 2
        var loss = 0.0
        for t in 0..<tokens {
            for h in 0..<heads {
                let base = (t * heads + h) * headDim
                for i in 0..<half {
                    let angle = Double(positions[t]) * pow(theta, -Double(2 * i) / Double(headDim))
                    let a = x[base + i], b = x[base + i + half]
                    loss += c[base + i] * (a * cos(angle) - b * sin(angle))
                    loss += c[base + i + half] * (b * cos(angle) + a * sin(angle))
                }
            }
        }
        return loss
    }

    func testForwardAndBackwardMatchDoublePrecisionReference() {
        let count = tokens * heads * headDim
        let x = KernelTesting.random(count, seed: 4), c = KernelTesting.random(count, seed: 5)
        let rope = RotaryEmbedding(headDim: headDim, theta: theta, maxPositions: 8)
        var y = KernelTesting.floats(x)
        rope.forward(&y, positions: positions, tokens: tokens, heads: heads)
        XCTAssertEqual(zip(y, c).map { Double($0) * $1 }.reduce(0, +), referenceLoss(x, c), accuracy: 1e-5)
        // Position 0 is the identity.
        XCTAssertEqual(Array(y[0..<(heads * headDim)]), KernelTesting.floats(Array(x[0..<(heads * headDim)])))

        var dx = KernelTesting.floats(c)
        rope.backward(&dx, positions: positions, tokens: tokens, heads: heads)
        KernelTesting.assertGradient(dx, FiniteDifference.gradient(of: { self.referenceLoss($0, c) }, at: x), "dx")
    }
}
