import AEPOKernels
import AEPOTestSupport
import XCTest

final class RMSNormTests: XCTestCase {
    let rows = 3, width = 5, eps: Float = 1e-6

    /// `Σ c ⊙ RMSNorm(x; w)` in double precision, the reference.
    func referenceLoss(_ x: ArraySlice<Double>, _ w: ArraySlice<Double>, _ c: [Double]) -> Double {
        let x = Array(x), w = Array(w)
        var loss = 0.0
        for r in 0..<rows {
            let row = x[(r * width)..<((r + 1) * width)]
            let rstd = 1 / (row.map { $0 * $0 }.reduce(0, +) / Double(width) + Double(eps)).squareRoot()
            for i in 0..<width { loss += c[r * width + i] * w[i] * row[r * width + i] * rstd }
        }
        return loss
    }

    func testForwardAndBackwardMatchDoublePrecisionReference() {
        let x = KernelTesting.random(rows * width, seed: 1)
        let w = KernelTesting.random(width, seed: 2)
        let c = KernelTesting.random(rows * width, seed: 3)
        var y = [Float](repeating: 0, count: rows * width), rstd = [Float](repeating: 0, count: rows)
        let xf = KernelTesting.floats(x), wf = KernelTesting.floats(w), cf = KernelTesting.floats(c)
        RMSNorm.forward(output: &y, rstd: &rstd, input: xf, weight: wf, rows: rows, width: width, eps: eps)
        let forwardLoss = zip(y, c).map { Double($0) * $1 }.reduce(0, +)
        XCTAssertEqual(forwardLoss, referenceLoss(x[...], w[...], c), accuracy: 1e-5)

        var dx = [Float](repeating: 0, count: rows * width), dw = [Float](repeating: 0, count: width)
        RMSNorm.backward(inputGradient: &dx, weightGradient: &dw, outputGradient: cf, input: xf, weight: wf, rstd: rstd, rows: rows, width: width)
        let reference = FiniteDifference.gradient(of: { p in
            self.referenceLoss(p[0..<(self.rows * self.width)], p[(self.rows * self.width)...], c)
        }, at: x + w)
        KernelTesting.assertGradient(dx, Array(reference[0..<(rows * width)]), "dx")
        KernelTesting.assertGradient(dw, Array(reference[(rows * width)...]), "dw")
    }

    /// Per-head norms read in place: rows in groups of `heads`, groups `stride` floats apart, give
    /// the same outputs, statistics and gradients as the same rows gathered contiguously; the
    /// floats between groups are neither read nor written.
    func testGroupedRowsInsideWiderRowsMatchContiguousRows() {
        let (tokens, heads, stride) = (4, 3, 3 * width + 7)
        let count = tokens * heads
        let wide = KernelTesting.floats(KernelTesting.random(tokens * stride, seed: 4))
        let w = KernelTesting.floats(KernelTesting.random(width, seed: 5))
        let c = KernelTesting.floats(KernelTesting.random(count * width, seed: 6))
        var gathered = [Float]()
        for t in 0..<tokens { gathered += wide[(t * stride)..<(t * stride + heads * width)] }

        var y = [Float](repeating: 0, count: count * width), rstd = [Float](repeating: 0, count: count)
        RMSNorm.forward(output: &y, rstd: &rstd, input: gathered, weight: w, rows: count, width: width, eps: eps)
        var dx = [Float](repeating: 0, count: count * width), dw = [Float](repeating: 0, count: width)
        RMSNorm.backward(inputGradient: &dx, weightGradient: &dw, outputGradient: c, input: gathered, weight: w, rstd: rstd,
                         rows: count, width: width)

        var yWide = [Float](repeating: 0, count: count * width), rstdWide = [Float](repeating: 0, count: count)
        RMSNorm.forward(output: &yWide, rstd: &rstdWide, input: wide, weight: w, rows: count, width: width, eps: eps,
                        heads: heads, inputStride: stride)
        var dxWide = [Float](repeating: .nan, count: tokens * stride), dwWide = [Float](repeating: 0, count: width)
        for t in 0..<tokens { for i in 0..<(heads * width) { dxWide[t * stride + i] = 0 } }
        RMSNorm.backward(inputGradient: &dxWide, weightGradient: &dwWide, outputGradient: c, input: wide, weight: w,
                         rstd: rstdWide, rows: count, width: width, heads: heads, inputStride: stride)
        XCTAssertEqual(yWide, y)
        XCTAssertEqual(rstdWide, rstd)
        XCTAssertEqual(dwWide, dw)
        var dxGathered = [Float]()
        for t in 0..<tokens {
            dxGathered += dxWide[(t * stride)..<(t * stride + heads * width)]
            XCTAssertTrue(dxWide[(t * stride + heads * width)..<((t + 1) * stride)].allSatisfy(\.isNaN), "gap of token \(t) written")
        }
        XCTAssertEqual(dxGathered, dx)
    }
}
