import AEPOAgent
import AEPOAlgorithms
import AEPOCore
import AEPOModel
import AEPORollout
import AEPOTestSupport
@testable import AEPOTraining
import XCTest

/// Temperature-consistent training: the training forward evaluates the distribution the rollout sampled from.
final class TemperatureConsistencyTests: XCTestCase {
    /// Trajectories sampled at T = 0.7: the tempered training forward gives the sampler's log-probs of every trained
    /// token; the untempered one gives the sampler's `log softmax(z)` and differs from the sampled distribution.
    func testTemperedForwardEqualsTheSamplersLogProbs() throws {
        let run = try Fixtures.temporaryDirectory("tempered")
        defer { try? FileManager.default.removeItem(at: run) }
        let config = try TrainingConfig.resolve(algorithm: "grpo", file: nil, overrides: TrainingFixture.settings(run: run))
        let trainer = try Trainer(config: config, phase: .rl)
        let temperature: Float = 0.7
        let trajectories = try TrainingFixture.rollout(trainer, temperature: temperature, seed: 3).trajectories
        let tensors = RolloutTensors(trajectories)
        XCTAssertGreaterThan(tensors.cells.count, 20)
        let tempered = try tensors.evaluate(trainer.model, chunk: 3, temperature: temperature).logProbs
        let untempered = try tensors.evaluate(trainer.model, chunk: 3).logProbs
        var worstTempered = 0.0, worstUntempered = 0.0, largestGap = 0.0
        for (b, t) in trajectories.enumerated() {
            for (j, m) in t.lossMask.enumerated() where m == 1 {
                worstTempered = max(worstTempered, abs(tempered[b, j] - Double(t.logProbs[j])))
                worstUntempered = max(worstUntempered, abs(untempered[b, j] - Double(t.policyLogProbs[j])))
                largestGap = max(largestGap, abs(untempered[b, j] - Double(t.logProbs[j])))
            }
        }
        XCTAssertLessThan(worstTempered, 1e-4)
        XCTAssertLessThan(worstUntempered, 1e-4)
        XCTAssertGreaterThan(largestGap, 1e-2, "at T ≠ 1 the untempered forward is not the sampled distribution")
    }

    /// A training step at T = 0.7 reports a log-prob mismatch near 0 either way (like compared with like).
    func testStepMismatchComparesLikeWithLike() throws {
        for consistent in [true, false] {
            let run = try Fixtures.temporaryDirectory("tempered-step")
            defer { try? FileManager.default.removeItem(at: run) }
            let config = try TrainingConfig.resolve(algorithm: "aepo", file: nil, overrides: TrainingFixture.settings(run: run) + [
                "rollout.temperature=0.7", "actor.temperature_consistent=\(consistent)", "trainer.steps=1"])
            XCTAssertEqual(config.algorithm.trainingTemperature, consistent ? 0.7 : 1)
            let metrics = try Trainer(config: config, phase: .rl).step()
            XCTAssertLessThan(try XCTUnwrap(metrics["logprob_mismatch"]), 1e-4, "consistent: \(consistent)")
        }
    }
}
