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
}
