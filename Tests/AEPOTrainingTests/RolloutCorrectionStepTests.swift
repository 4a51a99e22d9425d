import AEPOAgent
import AEPOAlgorithms
import AEPOCore
import AEPOModel
import AEPORollout
import AEPOTestSupport
@testable import AEPOTraining
import XCTest

/// The rollout correction inside a training step (docs/algorithm.md §5.11).
final class RolloutCorrectionStepTests: XCTestCase {
    /// At ratio 1 the PPO term is `−A·δ`, linear in `A`: importance weights `w_b` per sequence must give the gradient of
    /// advantages `w_b·A` without weights.
    func testImportanceWeightsScaleThePolicyGradient() throws {
        let run = try Fixtures.temporaryDirectory("is-weights")
        defer { try? FileManager.default.removeItem(at: run) }
        let config = try TrainingConfig.resolve(algorithm: "grpo", file: nil, overrides: TrainingFixture.settings(run: run))
        let trainer = try Trainer(config: config, phase: .rl)
        let model = trainer.model
        let tensors = RolloutTensors(try TrainingFixture.rollout(trainer).trajectories)
        let old = try tensors.evaluate(model, chunk: 0).logProbs
        var generator = SeededGenerator(seed: 9)
        var advantages = TokenMatrix(rows: tensors.rows, columns: tensors.columns)
        var weights = TokenMatrix(rows: tensors.rows, columns: tensors.columns, repeating: 1)
        var scaled = advantages
        let rowWeights = (0..<tensors.rows).map { _ in 0.25 + 1.5 * generator.nextDouble() }
        for cell in tensors.cells {
            advantages.values[cell] = generator.nextGaussian()
            weights.values[cell] = rowWeights[cell / tensors.columns]
            scaled.values[cell] = advantages.values[cell] * weights.values[cell]
        }
        let update = PolicyUpdate(objective: try config.algorithm.actorObjective(), microBatchSize: 3)
        let rows = Array(0..<tensors.rows)
        model.zeroGradients()
        let weighted = try update.accumulate(into: model, tensors: tensors, rows: rows, oldLogProbs: old, advantages: advantages,
                                             importanceWeights: weights)
        let weightedGradient = Array(model.gradients)
        model.zeroGradients()
        let reference = try update.accumulate(into: model, tensors: tensors, rows: rows, oldLogProbs: old, advantages: scaled)
        let referenceGradient = Array(model.gradients)
        model.zeroGradients()
        XCTAssertEqual(weighted.loss, reference.loss, accuracy: 1e-9 * max(1, abs(reference.loss)))
        let scale = referenceGradient.map { abs($0) }.max()!
        XCTAssertGreaterThan(scale, 0)
        for (a, b) in zip(weightedGradient, referenceGradient) { XCTAssertEqual(a, b, accuracy: 1e-5 * scale) }
    }

    /// With the native engine the sampler is the trainer's own weights: `auto` leaves the correction off, and turning it
    /// on changes nothing beyond rounding (no token truncated or masked, weights within 1e-4 of 1).
    func testTheCorrectionIsANoOpWithIdenticalEngines() throws {
        func step(_ extra: [String]) throws -> (metrics: [String: Double], parameters: [Float], before: [Float], trainer: Trainer) {
            let run = try Fixtures.temporaryDirectory("correction-step")
            defer { try? FileManager.default.removeItem(at: run) }
            let config = try TrainingConfig.resolve(algorithm: "aepo", file: nil, overrides: TrainingFixture.settings(run: run) + [
                "rollout.temperature=0.7", "trainer.steps=1"] + extra)
            let trainer = try Trainer(config: config, phase: .rl)
            let before = trainer.model.parameterValues
            return (try trainer.step(), trainer.model.parameterValues, before, trainer)
        }
        let off = try step([])
        XCTAssertEqual(off.trainer.rolloutCorrection.weighting, .none)
        XCTAssertEqual(off.trainer.rolloutCorrection.rejection, .none)
        let on = try step(["algorithm.rollout_correction.rollout_is=token", "algorithm.rollout_correction.rollout_rs=token_k1",
                           "algorithm.rollout_correction.rollout_is_threshold=1.0001"])
        XCTAssertEqual(on.metrics["rollout_is_truncated_fraction"], 0)
        XCTAssertEqual(on.metrics["rollout_rs_masked_fraction"], 0)
        XCTAssertEqual(try XCTUnwrap(on.metrics["rollout_is_weight_mean"]), 1, accuracy: 1e-4)
        XCTAssertLessThan(try XCTUnwrap(on.metrics["logprob_mismatch_max"]), 1e-4)
        XCTAssertLessThan(abs(try XCTUnwrap(on.metrics["sampler_kl"])), 1e-5)
        XCTAssertEqual(try XCTUnwrap(on.metrics["loss"]), try XCTUnwrap(off.metrics["loss"]), accuracy: 1e-4 * max(1, abs(off.metrics["loss"]!)))
        XCTAssertEqual(on.metrics["reward"], off.metrics["reward"])
        let largest = zip(on.parameters, off.parameters).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(largest, 1e-6)
        let moved = zip(off.parameters, off.before).map { abs($0 - $1) }.max()!
        XCTAssertGreaterThan(moved, 100 * largest, "the update moved the weights far more than the two runs differ")
    }
}
