import AEPOModel
import AEPOTestSupport
@testable import AEPOTraining
import XCTest

/// The frozen reference of the KL terms: the run's starting weights, evaluated by the training forward.
final class ReferenceModelTests: XCTestCase {
    func trainer(_ run: URL, _ extra: [String], start: RunStart = .new) throws -> Trainer {
        let config = try TrainingConfig.resolve(algorithm: "grpo", file: nil, overrides: TrainingFixture.settings(run: run) + extra)
        return try Trainer(config: config, phase: .rl, start: start)
    }

    func bits(_ model: Qwen3Model?) -> [UInt32]? { model?.parameterValues.map(\.bitPattern) }

    /// At step 1 the policy is the reference, so the KL to it is exactly 0 (same weights, same forward); later it
    /// is not, while the reference keeps the starting weights (also on disk).
    func testKLLossReferenceIsTheStartingModel() throws {
        let run = try Fixtures.temporaryDirectory("reference")
        defer { try? FileManager.default.removeItem(at: run) }
        let trainer = try trainer(run, ["actor.use_kl_loss=true", "actor.kl_loss_coef=0.5", "trainer.steps=2"])
        let start = bits(trainer.model)
        XCTAssertEqual(bits(trainer.reference), start)
        let first = try trainer.step()
        XCTAssertEqual(first["kl_ref"], 0)
        XCTAssertNotNil(first["kl_loss"])
        XCTAssertNil(first["kl_reward_penalty"])
        let second = try trainer.step()
        XCTAssertGreaterThan(try XCTUnwrap(second["kl_ref"]), 0)
        XCTAssertNotEqual(bits(trainer.model), start)
        XCTAssertEqual(bits(trainer.reference), start)
        let saved = try Checkpoint.load(directory: run.appendingPathComponent(Trainer.referenceDirectory))
        XCTAssertEqual(saved.parameters.map(\.bitPattern), start)
    }

    /// KL in the reward: k1 of the old policy against the reference, 0 at step 1, then subtracted from the rewards.
    func testKLInRewardPenalizesAfterTheFirstUpdate() throws {
        let run = try Fixtures.temporaryDirectory("reference")
        defer { try? FileManager.default.removeItem(at: run) }
        let trainer = try trainer(run, ["algorithm.use_kl_in_reward=true", "algorithm.kl_ctrl.kl_coef=0.5", "trainer.steps=2"])
        XCTAssertNotNil(trainer.reference)
        let first = try trainer.step()
        XCTAssertEqual(first["kl_reward_penalty"], 0)
        XCTAssertEqual(first["kl_ref"], 0)
        XCTAssertNil(first["kl_loss"])
        let second = try trainer.step()
        // Per sequence 0.5·Σ_t k1_t: over the batch, 0.5 · (mean k1 per token) · (trained tokens per sequence).
        let kl = try XCTUnwrap(second["kl_ref"])
        XCTAssertNotEqual(kl, 0)
        XCTAssertEqual(try XCTUnwrap(second["kl_reward_penalty"]), 0.5 * kl * second["response_length"]!, accuracy: 1e-9 * max(1, abs(kl)))
    }

    /// A resumed run with a KL term whose `reference/` is gone rebuilds it from its starting weights (here the seeded
    /// initialisation), not from the checkpoint's.
    func testResumedRunRebuildsAMissingReferenceFromItsStart() throws {
        let run = try Fixtures.temporaryDirectory("reference")
        defer { try? FileManager.default.removeItem(at: run) }
        let extra = ["trainer.save_freq=1", "actor.use_kl_loss=true"]
        let first = try trainer(run, extra + ["trainer.steps=1"])
        let start = bits(first.model)
        try first.train()
        try FileManager.default.removeItem(at: run.appendingPathComponent(Trainer.referenceDirectory))
        let resumed = try trainer(run, extra + ["trainer.steps=2"], start: .resume)
        XCTAssertEqual(resumed.state.step, 1)
        XCTAssertNotEqual(bits(resumed.model), start)
        XCTAssertEqual(bits(resumed.reference), start)
        XCTAssertGreaterThan(try XCTUnwrap(try resumed.step()["kl_ref"]), 0)
    }
}
