import AEPOEvaluation
import Foundation
import XCTest

final class PassAtKTests: XCTestCase {
    /// `C(n, k)` in Double from the definition, for small n.
    private func binomial(_ n: Int, _ k: Int) -> Double {
        guard k >= 0 && k <= n else { return 0 }
        return (0..<k).reduce(1.0) { $0 * Double(n - $1) / Double($1 + 1) }
    }

    func testNEqualsKIsOneIffAnyCorrect() {
        for n in 1...6 {
            XCTAssertEqual(PassAtK.estimate(samples: n, correct: 0, k: n), 0)
            for c in 1...n { XCTAssertEqual(PassAtK.estimate(samples: n, correct: c, k: n), 1) }
        }
    }

    func testNoCorrectIsZeroAndAllCorrectIsOne() {
        for n in 1...8 {
            for k in 1...n {
                XCTAssertEqual(PassAtK.estimate(samples: n, correct: 0, k: k), 0)
                XCTAssertEqual(PassAtK.estimate(samples: n, correct: n, k: k), 1)
            }
        }
    }

    func testHandExamples() {
        // 1 − C(3,2)/C(5,2) = 1 − 3/10.
        XCTAssertEqual(PassAtK.estimate(samples: 5, correct: 2, k: 2), 0.7, accuracy: 1e-15)
        // k = 1 is the fraction correct.
        XCTAssertEqual(PassAtK.estimate(samples: 4, correct: 1, k: 1), 0.25, accuracy: 1e-15)
        // 1 − C(7,5)/C(10,5) = 1 − 21/252.
        XCTAssertEqual(PassAtK.estimate(samples: 10, correct: 3, k: 5), 1 - 21.0 / 252, accuracy: 1e-15)
        // 5 runs, 1 correct, k = 5 → 1; k = 4: 1 − C(4,4)/C(5,4) = 0.8.
        XCTAssertEqual(PassAtK.estimate(samples: 5, correct: 1, k: 4), 0.8, accuracy: 1e-15)
    }

    func testAgreesWithBinomialsEverywhereSmall() {
        for n in 1...12 {
            for c in 0...n {
                for k in 1...n {
                    let expected = 1 - binomial(n - c, k) / binomial(n, k)
                    XCTAssertEqual(PassAtK.estimate(samples: n, correct: c, k: k), expected, accuracy: 1e-12, "n=\(n) c=\(c) k=\(k)")
                }
            }
        }
    }

    func testLargeNStaysFiniteAndMatchesLogGamma() {
        // C(1000, 500) overflows Double; the product form does not need it.
        let n = 1000, c = 3, k = 500
        let logRatio = lgamma(Double(n - c + 1)) - lgamma(Double(n - c - k + 1)) - lgamma(Double(n + 1)) + lgamma(Double(n - k + 1))
        XCTAssertEqual(PassAtK.estimate(samples: n, correct: c, k: k), 1 - exp(logRatio), accuracy: 1e-9)
    }

    func testMeanOverQuestions() {
        XCTAssertEqual(PassAtK.mean([(5, 2), (5, 0), (5, 5)], k: 2), (0.7 + 0 + 1) / 3, accuracy: 1e-15)
        XCTAssertEqual(PassAtK.mean([], k: 1), 0)
    }
}
