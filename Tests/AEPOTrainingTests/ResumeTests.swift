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

    /// A run with `trainer.max_shard_size` 4KiB writes its checkpoint's weights and optimizer state as shards
    /// (`model.safetensors.index.json`, `optimizer.safetensors.index.json`) and resumes to the same bytes as the same run
    /// whose checkpoint holds single files.
    func testShardedCheckpointResumesAsTheSingleFiles() throws {
        let root = try Fixtures.temporaryDirectory("resume-shards")
        defer { try? FileManager.default.removeItem(at: root) }
        let fm = FileManager.default
        let (single, sharded) = (root.appendingPathComponent("single"), root.appendingPathComponent("sharded"))
        func config(_ run: URL) throws -> TrainingConfig {
            let shards = run == sharded ? ["trainer.max_shard_size=4KiB"] : []
            return try TrainingConfig.resolve(algorithm: "aepo", file: nil,
                                              overrides: TrainingFixture.settings(run: run) + ["trainer.save_freq=2"] + shards)
        }
        let first = try Trainer(config: try config(single), phase: .sft)
        try first.train(until: 2)
        let firstSharded = try Trainer(config: try config(sharded), phase: .sft)
        try firstSharded.train(until: 2)
        XCTAssertEqual(firstSharded.store.checkpoints().map(\.lastPathComponent), ["step-000002"])
        let checkpoint = try XCTUnwrap(firstSharded.store.latest)
        let names = try fm.contentsOfDirectory(atPath: checkpoint.path)
        XCTAssertFalse(names.contains(CheckpointStore.optimizerFile))
        XCTAssertGreaterThan(names.filter { $0.hasPrefix("optimizer-") }.count, 2, "\(names)")
        XCTAssertTrue(names.contains(CheckpointStore.optimizerIndexFile))
        let model = try fm.contentsOfDirectory(atPath: checkpoint.appendingPathComponent(CheckpointStore.modelDirectory).path)
        XCTAssertTrue(model.contains("model.safetensors.index.json"), "\(model)")
        let singleNames = try fm.contentsOfDirectory(atPath: try XCTUnwrap(first.store.latest).path)
        XCTAssertTrue(singleNames.contains(CheckpointStore.optimizerFile), "the default writes single files: \(singleNames)")

        let a = try Trainer(config: try config(single), phase: .sft, start: .resume)
        let b = try Trainer(config: try config(sharded), phase: .sft, start: .resume)
        XCTAssertEqual(b.state.step, 2)
        XCTAssertEqual(b.optimizer.firstMoment.map(\.bitPattern), a.optimizer.firstMoment.map(\.bitPattern))
        XCTAssertEqual(b.optimizer.secondMoment.map(\.bitPattern), a.optimizer.secondMoment.map(\.bitPattern))
        try a.train()
        try b.train()
        XCTAssertEqual(b.model.parameterValues.map(\.bitPattern), a.model.parameterValues.map(\.bitPattern))
        XCTAssertNotEqual(b.model.parameterValues.map(\.bitPattern), first.model.parameterValues.map(\.bitPattern), "training moved the weights")
        XCTAssertEqual(b.optimizer.secondMoment.map(\.bitPattern), a.optimizer.secondMoment.map(\.bitPattern))
        XCTAssertEqual(b.optimizer.step, 4)
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
