import AEPOCore
import AEPORollout
import AEPOTestSupport
@testable import AEPOTraining
import XCTest

/// Four steps straight and 2 + 1 (lost by a kill) + (a fresh trainer from the checkpoint on disk) + 2 end in the same
/// bytes: weights (a LoRA adapter's, with its dropout, and the rebuilt base), and the metrics and rollout logs without
/// the lost step.
final class ResumeTests: XCTestCase {
    func resumedRunMatches(phase: TrainingPhase, preset: String, extra: [String]) throws {
        let root = try Fixtures.temporaryDirectory("resume")
        defer { try? FileManager.default.removeItem(at: root) }
        func config(_ name: String) throws -> TrainingConfig {
            try TrainingConfig.resolve(algorithm: preset, file: nil,
                                       overrides: TrainingFixture.settings(run: root.appendingPathComponent(name)) + extra + ["trainer.save_freq=2"])
        }
        let straight = try Trainer(config: try config("straight"), phase: phase)
        try straight.train()

        let first = try Trainer(config: try config("resumed"), phase: phase)
        try first.train(until: 2)
        try first.step()  // a step after the checkpoint, lost by the kill
        XCTAssertEqual(first.store.checkpoints().map(\.lastPathComponent), ["step-000002"])
        let second = try Trainer(config: try config("resumed"), phase: phase, start: .resume)
        XCTAssertEqual(second.state.step, 2)
        try second.train()

        let a = straight.model.trainableParameters.map(\.bitPattern), b = second.model.trainableParameters.map(\.bitPattern)
        XCTAssertEqual(a, b, "\(phase) \(preset): resumed weights differ")
        XCTAssertEqual(straight.model.parameterValues.map(\.bitPattern), second.model.parameterValues.map(\.bitPattern))
        XCTAssertEqual(straight.reference?.parameterValues.map(\.bitPattern), second.reference?.parameterValues.map(\.bitPattern))
        XCTAssertNotEqual(first.model.trainableParameters.map(\.bitPattern), b, "training moved the weights")
        XCTAssertEqual(straight.optimizer.step, second.optimizer.step)
        XCTAssertEqual(second.store.checkpoints().map(\.lastPathComponent), ["step-000002", "step-000004"])
        let lines = try String(contentsOf: second.run.appendingPathComponent(Trainer.metricsFile), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 4)
        XCTAssertEqual(try String(contentsOf: straight.run.appendingPathComponent(Trainer.metricsFile), encoding: .utf8).split(separator: "\n").count, 4)
        // The rollout logs hold each step once (the resumed run dropped what the killed one wrote after its checkpoint).
        if phase == .rl {
            for file in [RolloutLog.rolloutsFile, RolloutLog.branchEventsFile] {
                let a = try Data(contentsOf: straight.run.appendingPathComponent(file))
                XCTAssertEqual(try Data(contentsOf: second.run.appendingPathComponent(file)), a, file)
            }
            let records = try JSONLines.read(RolloutRecord.self, from: second.run.appendingPathComponent(RolloutLog.rolloutsFile))
            XCTAssertEqual(records.map(\.step), (1...4).flatMap { [Int](repeating: $0, count: 2 * 4) }, "2 questions × 4 per step")
            XCTAssertEqual(records.map(\.question), (1...4).flatMap { _ in [0, 0, 0, 0, 1, 1, 1, 1] })
            let events = try LoggedBranchEvent.read(from: second.run.appendingPathComponent(RolloutLog.branchEventsFile))
            XCTAssertTrue(events.allSatisfy { $0.step.map { (1...4).contains($0) } ?? false })
        }
    }

    func testSFTResumesBitIdentically() throws {
        try resumedRunMatches(phase: .sft, preset: "aepo", extra: [])
    }

    func testAEPOResumesBitIdentically() throws {
        try resumedRunMatches(phase: .rl, preset: "aepo", extra: ["actor.entropy_coeff=0.01"])
    }

    func testLoRASFTWithDropoutResumesBitIdentically() throws {
        try resumedRunMatches(phase: .sft, preset: "aepo", extra: ["model.lora.rank=4", "model.lora.dropout=0.2"])
    }

    /// An adapter's RL run with KL terms (the reference: the base with the adapter switched off) and dropout.
    func testLoRARunWithKLTermsResumesBitIdentically() throws {
        try resumedRunMatches(phase: .rl, preset: "aepo", extra: ["model.lora.rank=2", "model.lora.alpha=4", "model.lora.dropout=0.1",
                                                                   "model.lora.targets=q_proj,v_proj,down_proj", "actor.use_kl_loss=true",
                                                                   "actor.kl_loss_coef=0.5", "actor.optim.lr=1e-2"])
    }

    /// The reference of the KL terms comes back from `<run>/reference`, so the resumed run matches the straight one.
    func testRunWithKLTermsResumesBitIdentically() throws {
        try resumedRunMatches(phase: .rl, preset: "reinforce++", extra: ["actor.use_kl_loss=true", "actor.kl_loss_coef=0.5",
                                                                          "algorithm.use_kl_in_reward=true", "algorithm.kl_ctrl.kl_coef=0.2"])
    }
}
