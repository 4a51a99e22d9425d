import AEPOTraining
import XCTest

final class LearningRateScheduleTests: XCTestCase {
    func testConstantAndLinearWarmup() {
        XCTAssertEqual(LearningRateSchedule.constant(peak: 0.3).learningRate(at: 17), 0.3)
        let warmup = LearningRateSchedule.linearWarmup(peak: 1, warmupSteps: 4)
        XCTAssertEqual([0, 1, 3, 4, 100].map(warmup.learningRate(at:)), [0, 0.25, 0.75, 1, 1])
    }

    func testCosineWithWarmup() {
        let cosine = LearningRateSchedule.cosine(peak: 1, warmupSteps: 2, totalSteps: 6)
        let rates = [0, 1, 2, 3, 4, 6, 9].map(cosine.learningRate(at:))
        let expected: [Float] = [0, 0.5, 1, Float(0.5 * (1 + cos(Double.pi / 4))), 0.5, 0, 0]
        for (r, e) in zip(rates, expected) { XCTAssertEqual(r, e, accuracy: 1e-6) }
        let floor = LearningRateSchedule.cosine(peak: 1, warmupSteps: 2, totalSteps: 6, minimum: 0.1)
        XCTAssertEqual(floor.learningRate(at: 4), 0.55, accuracy: 1e-6)
        XCTAssertEqual(floor.learningRate(at: 7), 0.1, accuracy: 1e-6)
    }
}
