import AEPOCore
@testable import AEPOKernels
import Foundation
import XCTest

final class VectorMathTests: XCTestCase {
    /// Relative error against `Foundation.exp` in Double over the whole normal range, densely near 0
    /// and at the range-reduction boundaries (odd multiples of ln2/2).
    func testExpMatchesDoubleReference() {
        var inputs: [Float] = stride(from: -87.0, through: 88.7, by: 0.0137).map { Float($0) }
        inputs += stride(from: -2.0, through: 2.0, by: 0.0001).map { Float($0) }
        inputs += (-120...120).flatMap { k -> [Float] in
            let edge = Float(Double(k) * log(2.0) + log(2.0) / 2)
            return [edge.nextDown, edge, edge.nextUp]
        }.filter { $0 > -87 && $0 < 88.7 }
        inputs += [0, -0.0, 1e-30, -1e-30, Float.leastNormalMagnitude]
        var worst = 0.0
        var worstInput: Float = 0
        var values = inputs
        VectorMath.expInPlace(&values, count: values.count)
        for (x, y) in zip(inputs, values) {
            let expected = Foundation.exp(Double(x))
            let error = abs(Double(y) - expected) / expected
            if error > worst { (worst, worstInput) = (error, x) }
        }
        XCTAssertLessThan(worst, 1.5e-7, "worst at x = \(worstInput)")
    }

    func testExpExtremes() {
        var x: [Float] = [-88, -100, -104, -200, -.infinity, -Float.greatestFiniteMagnitude,
                          88.8, 89, 100, .infinity, Float.greatestFiniteMagnitude, .nan, 88.72, -87.3]
        let input = x
        VectorMath.expInPlace(&x, count: x.count)
        // Gradual underflow below ln(FLT_MIN) ≈ −87.34: tiny but close to the true value.
        XCTAssertEqual(Double(x[0]), Foundation.exp(-88.0), accuracy: 1e-7 * Foundation.exp(-88.0) + 2e-45)
        XCTAssertEqual(Double(x[1]), Foundation.exp(-100.0), accuracy: 2e-45)
        XCTAssertEqual(x[2], 0)
        XCTAssertEqual(x[3], 0)
        XCTAssertEqual(x[4], 0)
        XCTAssertEqual(x[5], 0)
        for i in 6...10 { XCTAssertEqual(x[i], .infinity, "exp(\(input[i]))") }
        XCTAssertTrue(x[11].isNaN)
        for i in 12...13 {
            let expected = Foundation.exp(Double(input[i]))
            XCTAssertEqual(Double(x[i]), expected, accuracy: 2e-7 * expected, "exp(\(input[i]))")
        }
    }

    func testShiftedExpReturnsSumAndHandlesTails() {
        var rng = SeededGenerator(seed: 3)
        for count in [0, 1, 15, 16, 17, 100] {
            let x = (0..<count).map { _ in rng.nextFloat() * 20 - 10 }
            let shift = x.max() ?? 0
            var y = x
            let total = VectorMath.expInPlace(&y, count: count, subtracting: shift)
            let expected = x.map { Foundation.exp(Double($0 - shift)) }
            XCTAssertEqual(Double(total), expected.reduce(0, +), accuracy: 1e-6 * max(1, expected.reduce(0, +)))
            for (a, b) in zip(y, expected) { XCTAssertEqual(Double(a), b, accuracy: 3e-7 * b) }
        }
    }

    func testScale() {
        var rng = SeededGenerator(seed: 4)
        for count in [0, 1, 31, 32, 33, 200] {
            var x = (0..<count).map { _ in rng.nextFloat() - 0.5 }
            let before = x
            VectorMath.scale(&x, count: count, by: -3)
            XCTAssertEqual(x, before.map { $0 * -3 })
        }
    }
}
