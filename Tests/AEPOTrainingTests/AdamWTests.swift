import AEPOTestSupport
import AEPOTraining
import XCTest

final class AdamWTests: XCTestCase {
    /// With a constant gradient the bias-corrected moments are exactly `g` and `g²`, so every step is
    /// `θ ← θ(1 − ηλ) − η·g/(|g| + ε)`.
    func testConstantGradientStepsHaveClosedForm() throws {
        let lr: Float = 0.1, wd: Float = 0.05, eps: Float = 1e-3
        let optimizer = try AdamW(parameterCount: 3, epsilon: eps, weightDecay: wd)
        var theta: [Float] = [1, -2, 0.5]
        let g: [Float] = [0.2, -3, 0]
        var expected = theta.map(Double.init)
        for _ in 0..<3 {
            theta.withUnsafeMutableBufferPointer { p in g.withUnsafeBufferPointer { optimizer.update(parameters: p, gradients: $0, learningRate: lr) } }
            for i in 0..<3 {
                expected[i] = expected[i] * (1 - Double(lr * wd)) - Double(lr) * Double(g[i]) / (abs(Double(g[i])) + Double(eps))
            }
        }
        XCTAssertEqual(optimizer.step, 3)
        for i in 0..<3 { XCTAssertEqual(Double(theta[i]), expected[i], accuracy: 1e-6) }
    }

    /// Two steps with gradients 1 then −0.5 (β₁ = 0.9, β₂ = 0.999, ε = 1e-8, λ = 0), by hand:
    /// m₂ = 0.09 − 0.05 = 0.04, v₂ = 0.000999 + 0.00025 = 0.001249, corrections 0.19 and 0.001999.
    func testTwoStepsMatchHandComputation() throws {
        let optimizer = try AdamW(parameterCount: 1, weightDecay: 0)
        var theta: [Float] = [0]
        for g: Float in [1, -0.5] {
            theta.withUnsafeMutableBufferPointer { p in [g].withUnsafeBufferPointer { optimizer.update(parameters: p, gradients: $0, learningRate: 0.01) } }
        }
        let step2 = 0.01 * (0.04 / 0.19) / ((0.001249 as Double).squareRoot() / (0.001999 as Double).squareRoot() + 1e-8)
        XCTAssertEqual(Double(theta[0]), -0.01 - step2, accuracy: 1e-7)
    }

    func testStateSurvivesSaveAndLoad() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let a = try AdamW(parameterCount: 2, beta1: 0.8, weightDecay: 0.1)
        var theta: [Float] = [1, 2]
        theta.withUnsafeMutableBufferPointer { p in [0.3, -0.7].withUnsafeBufferPointer { a.update(parameters: p, gradients: $0, learningRate: 0.1) } }
        let url = directory.appendingPathComponent("optimizer.safetensors")
        try a.save(to: url)
        let b = try AdamW(contentsOf: url, parameterCount: 2)
        XCTAssertEqual(b.step, 1)
        XCTAssertEqual(b.beta1, 0.8)
        XCTAssertEqual(Array(b.firstMoment), Array(a.firstMoment))
        XCTAssertEqual(Array(b.secondMoment), Array(a.secondMoment))
        var thetaB = theta
        theta.withUnsafeMutableBufferPointer { p in [0.1, 0.2].withUnsafeBufferPointer { a.update(parameters: p, gradients: $0, learningRate: 0.1) } }
        thetaB.withUnsafeMutableBufferPointer { p in [0.1, 0.2].withUnsafeBufferPointer { b.update(parameters: p, gradients: $0, learningRate: 0.1) } }
        XCTAssertEqual(theta, thetaB)
        XCTAssertThrowsError(try AdamW(contentsOf: url, parameterCount: 3))
    }
}
