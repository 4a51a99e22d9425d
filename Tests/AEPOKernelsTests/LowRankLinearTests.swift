import AEPOKernels
import AEPOTestSupport
import XCTest

/// The LoRA product `y += s · B(A(dropout(x)))` and its gradients for A, B and x against a double-precision reference,
/// with the output a column slice of a wider fused output, with and without dropout.
final class LowRankLinearTests: XCTestCase {
    let (rows, inputs, outputs, rank, stride, scale) = (5, 7, 6, 3, 10, Float(1.5))

    /// `Σ c ⊙ (s · B(A(dropout(x))))` in double precision.
    func referenceLoss(_ x: [Double], _ a: [Double], _ b: [Double], _ c: [Double], dropout: Dropout?) -> Double {
        var loss = 0.0
        for r in 0..<rows {
            let xd = (0..<inputs).map { i -> Double in
                guard let dropout else { return x[r * inputs + i] }
                return dropout.keeps(r * inputs + i) ? x[r * inputs + i] / (1 - Double(dropout.probability)) : 0
            }
            let u = (0..<rank).map { k in (0..<inputs).reduce(0.0) { $0 + a[k * inputs + $1] * xd[$1] } }
            for o in 0..<outputs {
                loss += c[r * outputs + o] * Double(scale) * (0..<rank).reduce(0.0) { $0 + b[o * rank + $1] * u[$1] }
            }
        }
        return loss
    }

    func testGradientsMatchDoublePrecisionReference() {
        check(dropout: nil)
    }

    /// The backward pass regenerates the forward pass's masks from the seed.
    func testGradientsWithDropoutMatchDoublePrecisionReference() {
        check(dropout: Dropout(probability: 0.3, seed: 42))
    }

    func check(dropout: Dropout?, file: StaticString = #filePath, line: UInt = #line) {
        let x = KernelTesting.random(rows * inputs, seed: 1)
        let a = KernelTesting.random(rank * inputs, seed: 2)
        let b = KernelTesting.random(outputs * rank, seed: 3)
        let c = KernelTesting.random(rows * outputs, seed: 4)
        let shape = LowRankLinear.Shape(rows: rows, inputWidth: inputs, outputWidth: outputs, rank: rank, outputStride: stride, scale: scale)
        let (xf, af, bf) = (KernelTesting.floats(x), KernelTesting.floats(a), KernelTesting.floats(b))
        // The output is columns 2..<8 of 10-wide rows holding 1s: the rest must stay untouched.
        var y = [Float](repeating: 1, count: rows * stride)
        var u = [Float](repeating: .nan, count: rows * rank)
        var scratch = [Float](repeating: .nan, count: shape.backwardScratchCount(dropout: dropout))
        y.withUnsafeMutableBufferPointer { y in
            LowRankLinear.forward(output: y.baseAddress! + 2, input: xf, a: af, b: bf, projected: &u, scratch: &scratch, shape: shape, dropout: dropout)
        }
        var loss = 0.0
        for r in 0..<rows {
            for o in 0..<stride {
                if (2..<8).contains(o) {
                    loss += c[r * outputs + o - 2] * (Double(y[r * stride + o]) - 1)
                } else {
                    XCTAssertEqual(y[r * stride + o], 1, "column \(o) outside the slice", file: file, line: line)
                }
            }
        }
        XCTAssertEqual(loss, referenceLoss(x, a, b, c, dropout: dropout), accuracy: 1e-4, file: file, line: line)

        var dy = [Float](repeating: .nan, count: rows * stride)
        for r in 0..<rows { for o in 0..<outputs { dy[r * stride + o + 2] = Float(c[r * outputs + o]) } }
        var dx = [Float](repeating: 0.5, count: rows * inputs), da = [Float](repeating: 0, count: rank * inputs)
        var db = [Float](repeating: 0, count: outputs * rank)
        dy.withUnsafeBufferPointer { dy in
            LowRankLinear.backward(inputGradient: &dx, aGradient: &da, bGradient: &db, outputGradient: dy.baseAddress! + 2, input: xf,
                                   a: af, b: bf, projected: u, scratch: &scratch, shape: shape, dropout: dropout)
        }
        let (nx, na) = (x.count, a.count)
        let reference = FiniteDifference.gradient(of: { p in
            self.referenceLoss(Array(p[0..<nx]), Array(p[nx..<(nx + na)]), Array(p[(nx + na)...]), c, dropout: dropout)
        }, at: x + a + b)
        KernelTesting.assertGradient(dx.map { $0 - 0.5 }, Array(reference[0..<nx]), "dx (added to what was there)", file: file, line: line)
        KernelTesting.assertGradient(da, Array(reference[nx..<(nx + na)]), "dA", file: file, line: line)
        KernelTesting.assertGradient(db, Array(reference[(nx + na)...]), "dB", file: file, line: line)
    }

    /// `x · (W + s·B·A)ᵀ` equals `x · Wᵀ + s · B(A(x))`.
    func testMergedWeightComputesTheAdaptedLayer() {
        let x = KernelTesting.floats(KernelTesting.random(rows * inputs, seed: 5))
        var w = KernelTesting.floats(KernelTesting.random(outputs * inputs, seed: 6))
        let a = KernelTesting.floats(KernelTesting.random(rank * inputs, seed: 7))
        let b = KernelTesting.floats(KernelTesting.random(outputs * rank, seed: 8))
        var adapted = [Float](repeating: 0, count: rows * outputs), u = [Float](repeating: 0, count: rows * rank)
        w.withUnsafeBufferPointer { Linear.forward(output: &adapted, input: x, weight: .float32($0.baseAddress!), rows: rows, inputWidth: inputs, outputWidth: outputs) }
        let shape = LowRankLinear.Shape(rows: rows, inputWidth: inputs, outputWidth: outputs, rank: rank, scale: scale)
        LowRankLinear.forward(output: &adapted, input: x, a: a, b: b, projected: &u, scratch: nil, shape: shape, dropout: nil)
        LowRankLinear.merge(into: &w, a: a, b: b, inputWidth: inputs, outputWidth: outputs, rank: rank, scale: scale)
        var merged = [Float](repeating: 0, count: rows * outputs)
        w.withUnsafeBufferPointer { Linear.forward(output: &merged, input: x, weight: .float32($0.baseAddress!), rows: rows, inputWidth: inputs, outputWidth: outputs) }
        for (p, q) in zip(merged, adapted) { XCTAssertEqual(p, q, accuracy: 1e-5) }
    }

    /// The mask is a function of the seed and the index alone, drops about `p` of the elements, and scales the rest.
    func testDropoutMaskIsReproducibleAndScaled() {
        let dropout = Dropout(probability: 0.25, seed: 9)
        let count = 20_000
        let ones = [Float](repeating: 1, count: count)
        var first = [Float](repeating: .nan, count: count), second = first
        dropout.apply(output: &first, input: ones, count: count)
        dropout.apply(output: &second, input: ones, count: count)
        XCTAssertEqual(first, second)
        XCTAssertTrue(first.allSatisfy { $0 == 0 || $0 == 1 / 0.75 })
        XCTAssertEqual(Double(first.filter { $0 == 0 }.count) / Double(count), 0.25, accuracy: 0.01)
        var other = [Float](repeating: .nan, count: count)
        Dropout(probability: 0.25, seed: 10).apply(output: &other, input: ones, count: count)
        XCTAssertNotEqual(first, other)
    }
}
