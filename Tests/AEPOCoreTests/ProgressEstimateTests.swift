import AEPOCore
import XCTest

/// The time left of a loop: the mean seconds per step over the last `window` records, times the steps left.
final class ProgressEstimateTests: XCTestCase {
    func testNoEstimateBeforeTheFirstStep() {
        let estimate = ProgressEstimate(total: 10, at: 100)
        XCTAssertNil(estimate.secondsPerStep)
        XCTAssertNil(estimate.secondsLeft)
        XCTAssertEqual(estimate.summary(), "0/10")
    }

    /// Until the window is full the mean is over every step since the start; then over the last `window` records only.
    func testMeanOverTheLastWindowOfRecords() {
        var estimate = ProgressEstimate(total: 10, at: 0, window: 2)
        estimate.record(done: 1, at: 4)
        XCTAssertEqual(estimate.secondsPerStep, 4)
        XCTAssertEqual(estimate.secondsLeft, 36)
        estimate.record(done: 2, at: 6)
        XCTAssertEqual(estimate.secondsPerStep, 3)
        estimate.record(done: 3, at: 7)
        XCTAssertEqual(estimate.secondsPerStep, 1.5, "(7 − 4) / (3 − 1): the first step left the window")
        XCTAssertEqual(estimate.secondsLeft, 10.5)
        estimate.record(done: 10, at: 14)
        XCTAssertEqual(estimate.secondsLeft, 0)
    }

    /// A resumed loop counts only its own steps; a record without progress changes nothing, its time counts towards
    /// the next step done; a record past the total leaves nothing left.
    func testResumedStartAndRecordsWithoutProgress() {
        var estimate = ProgressEstimate(total: 8, done: 5, at: 10)
        XCTAssertEqual(estimate.summary(), "5/8")
        estimate.record(done: 5, at: 20)
        XCTAssertNil(estimate.secondsPerStep)
        estimate.record(done: 6, at: 30)
        XCTAssertEqual(estimate.secondsPerStep, 20)
        XCTAssertEqual(estimate.secondsLeft, 40)
        estimate.record(done: 9, at: 33)
        XCTAssertEqual(estimate.secondsLeft, 0)
    }

    /// Several steps in one record (an evaluation's finished trajectories) share its time.
    func testSeveralStepsInOneRecord() {
        var estimate = ProgressEstimate(total: 100, at: 0)
        estimate.record(done: 40, at: 10)
        XCTAssertEqual(estimate.secondsPerStep, 0.25)
        XCTAssertEqual(estimate.summary(unit: "trajectory"), "40/100  0.25 s/trajectory  15s left")
    }

    func testSummaryAndDurations() {
        var estimate = ProgressEstimate(total: 300, at: 0)
        estimate.record(done: 12, at: 14.4)
        XCTAssertEqual(estimate.summary(), "12/300  1.2 s/step  5m 46s left")
        estimate.record(done: 13, at: 40)
        XCTAssertEqual(estimate.summary(), "13/300  3.1 s/step  14m 43s left")
        XCTAssertEqual(ProgressEstimate.duration(0.4), "0s")
        XCTAssertEqual(ProgressEstimate.duration(59.6), "1m 00s")
        XCTAssertEqual(ProgressEstimate.duration(754), "12m 34s")
        XCTAssertEqual(ProgressEstimate.duration(7500), "2h 05m")
    }
}
