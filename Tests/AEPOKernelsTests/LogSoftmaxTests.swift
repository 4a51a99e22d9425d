import AEPOKernels
import AEPOTestSupport
import Foundation
import XCTest

final class LogSoftmaxTests: XCTestCase {
    let rows = 3, vocabulary = 37  // two SIMD16 blocks and a scalar tail
    let targets: [Int32] = [0, 36, 17]

    /// `Σ_r a_r log p_r(target) + b_r H_r` in double precision.
    func referenceLoss(_ z: [Double], _ a: [Double], _ b: [Double]) -> Double {
        var loss = 0.0
        for r in 0..<rows {
            let row = z[(r * vocabulary)..<((r + 1) * vocabulary)]
            let logZ = log(row.map(exp).reduce(0, +))
            let logP = row.map { $0 - logZ }
            let entropy = -logP.map { exp($0) * $0 }.reduce(0, +)
            loss += a[r] * logP[Int(targets[r])] + b[r] * entropy
        }
        return loss
    }

    func testLogProbEntropyAndBackwardMatchDoublePrecisionReference() {
        let z = KernelTesting.random(rows * vocabulary, seed: 9, scale: 2)
        let a = KernelTesting.random(rows, seed: 10), b = KernelTesting.random(rows, seed: 11)
        var logits = KernelTesting.floats(z)
        var logProbs = [Float](repeating: 0, count: rows), entropies = logProbs, logZ = logProbs
        LogSoftmax.forward(logProbs: &logProbs, entropies: &entropies, logNormalizers: &logZ,
                           logits: logits, targets: targets, rows: rows, vocabulary: vocabulary)
        let zero = [Double](repeating: 0, count: rows)
        for r in 0..<rows {
            var onlyA = zero, onlyB = zero
            onlyA[r] = 1
            onlyB[r] = 1
            XCTAssertEqual(Double(logProbs[r]), referenceLoss(z, onlyA, zero), accuracy: 1e-5)
            XCTAssertEqual(Double(entropies[r]), referenceLoss(z, zero, onlyB), accuracy: 1e-5)
        }

        LogSoftmax.backward(logits: &logits, logNormalizers: logZ, entropies: entropies, targets: targets,
                            logProbWeights: KernelTesting.floats(a), entropyWeights: KernelTesting.floats(b),
                            rows: rows, vocabulary: vocabulary)
        KernelTesting.assertGradient(logits, FiniteDifference.gradient(of: { self.referenceLoss($0, a, b) }, at: z), "dz")
    }
}
