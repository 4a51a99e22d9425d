import AEPOCore
import AEPOEvaluation
import XCTest

final class SuiteSummaryTests: XCTestCase {
    private func outcome(_ suite: String, _ id: String, _ run: Int, _ em: Bool, f1: Double, calls: Int = 0, broken: Bool = false) -> QuestionOutcome {
        QuestionOutcome(suite: suite, questionID: id, run: run, exactMatch: em, f1: f1, toolCalls: calls, formatFailure: broken)
    }

    func testTwoSuitesByHand() throws {
        // Suite a: q1 correct in runs 0 and 1 of 2; q2 correct in run 1 only. Suite b: one question, never correct.
        let outcomes = [
            outcome("a", "q1", 0, true, f1: 1, calls: 2), outcome("a", "q2", 0, false, f1: 0.5, calls: 1),
            outcome("a", "q1", 1, true, f1: 1, calls: 3), outcome("a", "q2", 1, true, f1: 1, calls: 0),
            outcome("b", "q3", 0, false, f1: 0, broken: true), outcome("b", "q3", 1, false, f1: 0.2),
        ]
        let summaries = try SuiteSummary.summarize(outcomes, ks: [1, 2])
        XCTAssertEqual(summaries.map(\.suite), ["a", "b"])
        let a = summaries[0]
        XCTAssertEqual(a.questions, 2)
        XCTAssertEqual(a.runs, 2)
        XCTAssertEqual(a.passAt1, 0.75, accuracy: 1e-15)
        XCTAssertEqual(a.passAtK["1"]!, 0.75, accuracy: 1e-15)
        // q1: 2 of 2 → 1; q2: 1 of 2 with k = 2 → 1.
        XCTAssertEqual(a.passAtK["2"]!, 1, accuracy: 1e-15)
        XCTAssertEqual(a.f1, 0.875, accuracy: 1e-15)
        XCTAssertEqual(a.toolCallsPerQuestion, 1.5, accuracy: 1e-15)
        XCTAssertEqual(a.formatFailureRate, 0)
        let b = summaries[1]
        XCTAssertEqual(b.passAt1, 0)
        XCTAssertEqual(b.passAtK["2"], 0)
        XCTAssertEqual(b.f1, 0.1, accuracy: 1e-15)
        XCTAssertEqual(b.formatFailureRate, 0.5)
    }

    func testUnevenRunsAndTooLargeKAreInputErrors() {
        let uneven = [outcome("a", "q1", 0, true, f1: 1), outcome("a", "q1", 1, true, f1: 1), outcome("a", "q2", 0, true, f1: 1)]
        XCTAssertThrowsError(try SuiteSummary.summarize(uneven, ks: [1])) { XCTAssertTrue("\($0)".contains("q2")) }
        let even = [outcome("a", "q1", 0, true, f1: 1)]
        XCTAssertThrowsError(try SuiteSummary.summarize(even, ks: [5])) { XCTAssertTrue("\($0)".contains("--k")) }
    }
}
