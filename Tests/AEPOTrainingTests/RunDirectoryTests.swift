import AEPOCore
import AEPOTestSupport
@testable import AEPOTraining
import XCTest

/// A run directory belongs to one run: a new run refuses another's directory (or removes it with `overwrite`), a
/// resume refuses another run's checkpoint and a changed configuration, clears what a killed run left behind, and
/// falls back from an unreadable newest checkpoint.
final class RunDirectoryTests: XCTestCase {
    private var root: URL!
    private let quiet: (String) -> Void = { _ in }

    override func setUpWithError() throws { root = try Fixtures.temporaryDirectory("run-directory") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    /// A 3-step SFT run checkpointed at every step, in `<root>/<name>`.
    private func config(_ name: String = "run", _ extra: [String] = []) throws -> TrainingConfig {
        try TrainingConfig.resolve(algorithm: "grpo", file: nil, overrides: TrainingFixture.settings(run: root.appendingPathComponent(name))
            + ["sft.steps=3", "trainer.save_freq=1", "trainer.keep_last=3"] + extra)
    }

    private func trained(_ name: String = "run", _ extra: [String] = []) throws -> Trainer {
        let trainer = try Trainer(config: try config(name, extra), phase: .sft, log: quiet)
        try trainer.train()
        return trainer
    }

    private func names(_ trainer: Trainer) -> [String] { trainer.store.checkpoints().map(\.lastPathComponent) }

    /// The hidden entries (temporaries) of the run directory and its checkpoints.
    private func hidden(_ run: URL) throws -> [String] {
        let fm = FileManager.default
        return try (fm.contentsOfDirectory(atPath: run.path) + fm.contentsOfDirectory(atPath: run.appendingPathComponent("checkpoints").path))
            .filter { $0.hasPrefix(".") }
    }

    func testNewRunRefusesADirectoryThatHoldsARun() throws {
        let first = try trained()
        XCTAssertThrowsError(try Trainer(config: try config("run", ["trainer.seed=2", "sft.steps=1"]), phase: .sft, log: quiet)) { error in
            XCTAssertEqual((error as? InputError)?.field, "trainer.run_dir", "\(error)")
        }
        XCTAssertEqual(names(first), ["step-000001", "step-000002", "step-000003"], "the run is untouched")
    }

    /// `overwrite` removes the old run first, so its checkpoints neither count against `keep_last` nor survive.
    func testOverwriteReplacesTheRun() throws {
        _ = try trained()
        let second = try Trainer(config: try config("run", ["trainer.seed=2", "sft.steps=1"]), phase: .sft, start: .overwrite, log: quiet)
        try second.train()
        XCTAssertEqual(names(second), ["step-000001"])
        let metrics = try String(contentsOf: second.run.appendingPathComponent(Trainer.metricsFile), encoding: .utf8)
        XCTAssertEqual(metrics.split(separator: "\n").count, 1)
        XCTAssertEqual(try hidden(second.run), [])

        // A directory of other files is no run to overwrite.
        let other = root.appendingPathComponent("other")
        try AtomicFile.write("mine", to: other.appendingPathComponent("notes.txt"))
        XCTAssertThrowsError(try Trainer(config: try config("other"), phase: .sft, start: .overwrite, log: quiet)) { error in
            XCTAssertEqual((error as? InputError)?.field, "trainer.run_dir", "\(error)")
        }
        XCTAssertEqual(try String(contentsOf: other.appendingPathComponent("notes.txt"), encoding: .utf8), "mine")
    }

    /// Another run's configuration in the directory (what a second run started there used to write) does not resume
    /// the first run's checkpoints: the error names both runs.
    func testResumeRefusesACheckpointOfAnotherRun() throws {
        let a = try trained("a"), b = try trained("b", ["trainer.seed=2"])
        XCTAssertEqual(try CheckpointStore.load(XCTUnwrap(a.store.latest)).state.runIdentity, a.config.runIdentity)
        XCTAssertNotEqual(a.config.runIdentity, b.config.runIdentity)
        let saved = a.run.appendingPathComponent(Trainer.configFile)
        try FileManager.default.removeItem(at: saved)
        try FileManager.default.copyItem(at: b.run.appendingPathComponent(Trainer.configFile), to: saved)
        let hijacked = try TrainingConfig.resuming(run: a.run, algorithm: nil, file: nil, overrides: ["sft.steps=4"])
        XCTAssertThrowsError(try Trainer(config: hijacked, phase: .sft, start: .resume, log: quiet)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(a.config.runIdentity) && text.contains(b.config.runIdentity), text)
        }
    }

    /// A resume may run longer and log or checkpoint differently, but not change the model or the data.
    func testResumeRefusesAKeyThatChangesTheRun() throws {
        _ = try trained()
        for (key, value) in [("model.hidden_size", "32"), ("data.suites", "bridge"), ("sft.lr", "0.1")] {
            XCTAssertThrowsError(try Trainer(config: try config("run", ["\(key)=\(value)"]), phase: .sft, start: .resume, log: quiet)) { error in
                XCTAssertEqual((error as? InputError)?.field, key, "\(error)")
            }
        }
        let longer = try Trainer(config: try config("run", ["sft.steps=4", "trainer.log_freq=2", "trainer.save_freq=2", "trainer.keep_last=2",
                                                            "trainer.micro_batch_size=1"]),
                                 phase: .sft, start: .resume, log: quiet)
        XCTAssertEqual(longer.state.step, 3)
        try longer.train()
        XCTAssertEqual(names(longer), ["step-000003", "step-000004"])
    }

    /// Kills while writing checkpoint 4 and `final/`, and while pruning checkpoint 1 (renamed first, then half deleted),
    /// leave temporaries named after the dead process: the resume removes them and continues from checkpoint 3.
    func testResumeClearsWhatAKilledRunLeftBehind() throws {
        let first = try trained()
        let fm = FileManager.default, dead = try DeadProcess.identifier(), checkpoints = first.store.directory
        let writing = checkpoints.appendingPathComponent(".step-000004.tmp-\(dead)-1")
        try fm.copyItem(at: checkpoints.appendingPathComponent("step-000003"), to: writing)
        try fm.removeItem(at: writing.appendingPathComponent(CheckpointStore.stateFile))
        try fm.copyItem(at: checkpoints.appendingPathComponent("step-000003/model"), to: first.run.appendingPathComponent(".final.tmp-\(dead)-2"))
        let pruning = checkpoints.appendingPathComponent(".step-000001.tmp-\(dead)-3")
        try fm.moveItem(at: checkpoints.appendingPathComponent("step-000001"), to: pruning)
        try fm.removeItem(at: pruning.appendingPathComponent(CheckpointStore.optimizerFile))
        XCTAssertEqual(try hidden(first.run).count, 3)

        let resumed = try Trainer(config: try config(), phase: .sft, start: .resume, log: quiet)
        XCTAssertEqual(resumed.state.step, 3)
        XCTAssertEqual(try hidden(first.run), [])
        XCTAssertEqual(names(resumed), ["step-000002", "step-000003"])
    }

    /// An unreadable newest checkpoint is skipped with a warning; the run resumes from the previous complete one (not
    /// from a half-pruned older one) and ends as the uninterrupted run did.
    func testCorruptNewestCheckpointFallsBackToThePreviousOne() throws {
        let first = try trained()
        let fm = FileManager.default, dead = try DeadProcess.identifier(), checkpoints = first.store.directory
        try Data("not safetensors".utf8).write(to: checkpoints.appendingPathComponent("step-000003/\(CheckpointStore.optimizerFile)"))
        let pruning = checkpoints.appendingPathComponent(".step-000001.tmp-\(dead)-4")
        try fm.moveItem(at: checkpoints.appendingPathComponent("step-000001"), to: pruning)
        try fm.removeItem(at: pruning.appendingPathComponent(CheckpointStore.stateFile))

        var lines: [String] = []
        let resumed = try Trainer(config: try config(), phase: .sft, start: .resume, log: { lines.append($0) })
        XCTAssertEqual(resumed.state.step, 2)
        XCTAssertTrue(lines.contains { $0.contains("warning") && $0.contains("step-000003") }, "\(lines)")
        try resumed.train()
        XCTAssertEqual(resumed.model.parameterValues.map(\.bitPattern), first.model.parameterValues.map(\.bitPattern))
        XCTAssertEqual(names(resumed), ["step-000002", "step-000003"])
        XCTAssertEqual(try CheckpointStore.load(checkpoints.appendingPathComponent("step-000003")).state.step, 3)
        XCTAssertEqual(try hidden(first.run), [])
    }
}
