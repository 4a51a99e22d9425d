import AEPOAlgorithms
import XCTest

/// Closed-form cases of the estimators and of the entropy-aware transform (the fixture covers verl's numbers).
final class AdvantageEstimatorTests: XCTestCase {
    /// Three sequences of question 0 (scores 1, 0, 0) and one of question 1 (score 1); row 1 has a masked gap.
    let mask = TokenMatrix(rows: 4, columns: 4, values: [1, 1, 0, 0,  1, 0, 1, 1,  1, 1, 1, 0,  1, 0, 0, 0])
    var input: AdvantageInput { AdvantageInput(scores: [1, 0, 0, 1], groupIDs: [0, 0, 0, 1], mask: mask) }

    func testScoresSitOnTheLastValidToken() {
        XCTAssertEqual(input.tokenRewards.values, [0, 1, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  1, 0, 0, 0])
        XCTAssertEqual(input.sequenceScores, [1, 0, 0, 1])
    }

    func testGRPOClosedForm() {
        // Group 0: mean 1/3, unbiased std sqrt(1/3).
        let std = (1.0 / 3).squareRoot()
        let a = AdvantageEstimator.grpo(input)
        XCTAssertEqual(a[0, 0], (2.0 / 3) / (std + 1e-6), accuracy: 1e-12)
        XCTAssertEqual(a[1, 2], (-1.0 / 3) / (std + 1e-6), accuracy: 1e-12)
        XCTAssertEqual(a[1, 1], 0, "masked tool token")
        XCTAssertEqual(a[3, 0], 0, "a group of one has advantage 0")
        let verl = AdvantageEstimator.grpo(input, options: AdvantageOptions(singletonGroup: .verl))
        XCTAssertEqual(verl[3, 0], 1 / (1 + 1e-6), accuracy: 1e-12, "verl: mean 0, std 1")
        XCTAssertEqual(AdvantageEstimator.grpoNoStd(input)[0, 1], 2.0 / 3, accuracy: 1e-12)
    }

    func testAllEqualGroupGivesZero() {
        let equal = AdvantageInput(scores: [0.5, 0.5, 0.5, 1], groupIDs: [0, 0, 0, 1], mask: mask)
        for estimator in [AdvantageEstimator.grpo, .grpoNoStd, .rloo] {
            XCTAssertEqual(Array(estimator(equal).values[0..<12]), [Double](repeating: 0, count: 12), estimator.name)
        }
    }

    func testRLOOIsLeaveOneOut() {
        let a = AdvantageEstimator.rloo(input)
        XCTAssertEqual(a[0, 0], 1 - 0, accuracy: 1e-12)        // 1 − mean(0, 0)
        XCTAssertEqual(a[1, 0], 0 - 0.5, accuracy: 1e-12)      // 0 − mean(1, 0)
    }

    func testReinforcePlusPlusCarriesTheReturnAcrossToolGaps() {
        // γ = 1: every valid token's return is its sequence's score, so the whitening is over those tokens.
        let a = AdvantageEstimator.reinforcePlusPlus(input)
        let tokens: [Double] = [1, 1, 0, 0, 0, 0, 0, 0, 1]
        let mean = tokens.reduce(0, +) / 9
        let std = (tokens.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 8).squareRoot()
        XCTAssertEqual(a[1, 0], (0 - mean) / std, accuracy: 1e-7)
        XCTAssertEqual(a[1, 3], (0 - mean) / std, accuracy: 1e-7)
        XCTAssertEqual(a[0, 0], (1 - mean) / std, accuracy: 1e-7)
        XCTAssertEqual(a[1, 1], 0)
        // γ < 1 discounts per trained token: row 0 gets γ·1 at its first token.
        let discounted = AdvantageEstimator.reinforcePlusPlus(
            AdvantageInput(scores: [1, 0], groupIDs: [0, 0], mask: TokenMatrix(rows: 2, columns: 2, repeating: 1)),
            options: AdvantageOptions(gamma: 0.5))
        // returns [0.5, 1, 0, 0]: mean 0.375, unbiased variance 0.6875 / 3
        XCTAssertEqual(discounted[0, 0], 0.125 / (0.6875 / 3 + 1e-8).squareRoot(), accuracy: 1e-12)
    }

    func testEntropyAwareTransformClosedForm() {
        let a = TokenMatrix(rows: 1, columns: 4, values: [2, 2, 2, 0])
        let h = TokenMatrix(rows: 1, columns: 4, values: [1, 2, 3, 99])
        let m = TokenMatrix(rows: 1, columns: 4, values: [1, 1, 1, 0])
        let weights = EntropyAwareAdvantage.weights(entropies: h, mask: m, coefficient: 0.2)
        // mean 2, unbiased std 1 → z = −1, 0, 1
        XCTAssertEqual(weights.values, [0.8, 1, 1.2, 0])
        XCTAssertEqual(EntropyAwareAdvantage.transform(a, weights: weights).values, [2 * 0.8, 2, 2 * 1.2, 0])
        let flat = EntropyAwareAdvantage.weights(entropies: TokenMatrix(rows: 1, columns: 4, repeating: 5), mask: m)
        XCTAssertEqual(EntropyAwareAdvantage.transform(a, weights: flat).values, [2, 2, 2, 0], "std 0 counts as 1: no change")
    }

    func testRegistryNamesAndErrors() throws {
        XCTAssertEqual(AdvantageEstimator.all.map(\.name), ["grpo", "grpo-no-std", "reinforce++", "reinforce++-baseline", "rloo"])
        XCTAssertThrowsError(try AdvantageEstimator.named("gae")) { error in
            XCTAssertTrue("\(error)".contains("estimator"))
        }
        XCTAssertEqual(try AdvantageEstimator.named("rloo").name, "rloo")
    }
}
