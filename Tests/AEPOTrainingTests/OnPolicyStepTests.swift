import AEPOAlgorithms
import AEPOCore
import AEPOModel
import AEPOTestSupport
@testable import AEPOTraining
import XCTest

/// An on-policy RL step takes the old policy's log-probs from its one update's own forward instead of a separate pass
/// (docs/algorithm.md §6.2, `trainer.old_logprob_pass`).
final class OnPolicyStepTests: XCTestCase {
    /// The fixture's two questions in one mini-batch: one update of the whole step.
    static let oneUpdate = ["actor.ppo_mini_batch_size=2"]

    func trainer(_ run: URL, preset: String = "grpo", _ extra: [String]) throws -> Trainer {
        let config = try TrainingConfig.resolve(algorithm: preset, file: nil,
                                                overrides: TrainingFixture.settings(run: run) + Self.oneUpdate + extra)
        return try Trainer(config: config, phase: .rl)
    }

    func testTheRuleNamesTheOnPolicySteps() throws {
        func onPolicy(_ extra: [String], groups: Int = 2) throws -> Bool {
            let run = try Fixtures.temporaryDirectory("on-policy-rule")
            defer { try? FileManager.default.removeItem(at: run) }
            return try trainer(run, extra).updatesOnPolicy(groups: groups)
        }
        XCTAssertTrue(try onPolicy([]))
        XCTAssertTrue(try onPolicy(["actor.use_kl_loss=true"]), "the KL loss needs the reference, not the old policy")
        XCTAssertTrue(try onPolicy(["model.lora.rank=2"]), "an adapter without dropout")
        XCTAssertTrue(try onPolicy(["algorithm.rollout_correction.rollout_is=null", "algorithm.rollout_correction.rollout_rs=null"]))
        XCTAssertTrue(try onPolicy(["actor.ppo_mini_batch_size=1"], groups: 1), "dynamic sampling kept one group: one mini-batch")
        XCTAssertFalse(try onPolicy(["actor.ppo_epochs=2"]), "two epochs")
        XCTAssertFalse(try onPolicy(["actor.ppo_mini_batch_size=1"]), "two mini-batches")
        XCTAssertFalse(try onPolicy(["model.lora.rank=2", "model.lora.dropout=0.1"]), "adapter dropout")
        XCTAssertFalse(try onPolicy(["algorithm.use_kl_in_reward=true"]), "KL in the reward")
        XCTAssertFalse(try onPolicy(["algorithm.rollout_correction.rollout_is=token"]), "importance weights")
        XCTAssertFalse(try onPolicy(["algorithm.rollout_correction.rollout_is=sequence"]), "importance weights")
        XCTAssertFalse(try onPolicy(["algorithm.rollout_correction.rollout_rs=token_k1"]), "masking")
        XCTAssertFalse(try onPolicy(["algorithm.rollout_correction.rollout_rs=seq_mean_k1"]), "masking")
        XCTAssertFalse(try onPolicy(["trainer.old_logprob_pass=always"]), "the separate pass asked for")
    }

    /// Two steps with a KL loss, on-policy (`auto`) and with the separate pass forced (`always`). The skipped step has
    /// ratio 1 exactly (no clipping, `kl` 0) and no `time/old_logprob_s`, and reports every other figure; at the fixture's
    /// width every product of both passes takes the packed GEMM, whose result per row does not depend on the batch's
    /// composition, so the two runs write the same metrics and weights bit for bit.
    func testAnOnPolicyStepTakesTheOldLogProbsFromItsUpdate() throws {
        func run(_ pass: String) throws -> (metrics: [[String: Double]], weights: [UInt32]) {
            let run = try Fixtures.temporaryDirectory("on-policy-step")
            defer { try? FileManager.default.removeItem(at: run) }
            let trainer = try trainer(run, ["actor.use_kl_loss=true", "trainer.old_logprob_pass=\(pass)"])
            XCTAssertEqual(trainer.updatesOnPolicy(groups: 2), pass == "auto")
            let metrics = try (0..<2).map { _ in try trainer.step() }
            return (metrics, trainer.model.parameterValues.map(\.bitPattern))
        }
        let skipped = try run("auto"), separate = try run("always")
        for (step, (a, b)) in zip(skipped.metrics, separate.metrics).enumerated() {
            XCTAssertNil(a["time/old_logprob_s"])
            XCTAssertNotNil(b["time/old_logprob_s"])
            for key in ["kl", "clip_frac_low", "clip_frac_high", "clip_frac_dual"] {
                XCTAssertEqual(a[key], 0, "step \(step + 1): \(key)")
            }
            for key in ["kl_ref", "logprob_mismatch", "logprob_mismatch_max", "sampler_kl", "sampler_k3_kl", "rollout_is_weight_mean",
                        "rollout_is_truncated_fraction", "rollout_rs_masked_fraction", "loss", "kl_loss", "entropy", "grad_norm"] {
                XCTAssertNotNil(a[key], "step \(step + 1): \(key)")
            }
            XCTAssertLessThan(try XCTUnwrap(a["logprob_mismatch_max"]), 1e-4, "step \(step + 1): the engine samples with the same weights")
            let figures = { (m: [String: Double]) in m.filter { !$0.key.hasPrefix("time/") && $0.key != "tokens_per_s" } }
            XCTAssertEqual(figures(a), figures(b), "step \(step + 1)")
        }
        XCTAssertEqual(skipped.metrics[0]["kl_ref"], 0, "step 1's policy is the reference")
        XCTAssertGreaterThan(try XCTUnwrap(skipped.metrics[1]["kl_ref"]), 0)
        XCTAssertEqual(skipped.weights, separate.weights)
    }

    /// Without old log-probs, `PolicyUpdate` compares each micro-batch's forward with itself and hands back what it
    /// computed: the separate pass's log-probs, and with them as old the same gradient.
    func testAnUpdateWithoutOldLogProbsUsesItsOwnForward() throws {
        let run = try Fixtures.temporaryDirectory("on-policy-update")
        defer { try? FileManager.default.removeItem(at: run) }
        let trainer = try trainer(run, preset: "aepo", [])
        let model = trainer.model
        let tensors = RolloutTensors(try TrainingFixture.rollout(trainer).trajectories)
        let old = try tensors.evaluate(model, chunk: 2).logProbs
        var advantages = TokenMatrix(rows: tensors.rows, columns: tensors.columns)
        var generator = SeededGenerator(seed: 3)
        for cell in tensors.cells { advantages.values[cell] = generator.nextGaussian() }
        let update = PolicyUpdate(objective: try trainer.config.algorithm.actorObjective(), microBatchSize: 3)
        let rows = [5, 2, 7, 0, 4, 1, 6, 3]
        func accumulate(_ old: TokenMatrix?) throws -> (summary: PolicyUpdate.Summary, gradient: [UInt32]) {
            model.zeroGradients()
            defer { model.zeroGradients() }
            let summary = try update.accumulate(into: model, tensors: tensors, rows: rows, oldLogProbs: old, advantages: advantages)
            return (summary, model.gradients.map(\.bitPattern))
        }
        let own = try accumulate(nil), given = try accumulate(old)
        XCTAssertEqual(Set(own.summary.cells), Set(tensors.cells))
        XCTAssertEqual(own.summary.cells.count, tensors.cells.count)
        for (cell, logProb) in zip(own.summary.cells, own.summary.logProbs) { XCTAssertEqual(logProb, old.values[cell], "cell \(cell)") }
        XCTAssertEqual(own.summary.approxKL, 0)
        XCTAssertEqual(own.summary.clippedLow + own.summary.clippedHigh + own.summary.dualClipped, 0)
        XCTAssertEqual(own.summary.loss, given.summary.loss)
        XCTAssertTrue(own.gradient.contains { $0 != 0 })
        XCTAssertEqual(own.gradient, given.gradient)
    }
}
