import AEPOTestSupport
@testable import AEPOTraining
import Foundation
import XCTest

/// A run killed with SIGKILL while it writes a checkpoint: the resume finds nothing left behind, continues from the
/// newest complete checkpoint and finishes.
final class KillDuringCheckpointTests: XCTestCase {
    /// The environment variable that makes `testChildTrainsUntilKilled` run: the child's settings, one per line.
    private static let childSettings = "AEPO_KILL_TEST_SETTINGS"

    /// A long SFT run checkpointed at every step, to be killed by its parent; skipped unless started by
    /// `killDuringCheckpoint` as a child process.
    func testChildTrainsUntilKilled() throws {
        guard let settings = ProcessInfo.processInfo.environment[Self.childSettings] else {
            throw XCTSkip("runs only as the child process of the tests that kill it")
        }
        let config = try TrainingConfig.resolve(algorithm: "grpo", file: nil, overrides: settings.split(separator: "\n").map(String.init))
        try Trainer(config: config, phase: .sft, log: { _ in }).train()
    }

    func testKillDuringCheckpointLeavesNothingBehind() throws {
        try killDuringCheckpoint(extra: [])
    }

    /// Checkpoints of many small shards (`trainer.max_shard_size`): a kill after some of the optimizer's shards and before
    /// their index leaves a half-written checkpoint directory, which the resume removes and never takes for a checkpoint.
    func testKillDuringShardedCheckpointLeavesNothingBehind() throws {
        try killDuringCheckpoint(extra: ["trainer.max_shard_size=1KiB"], sharded: true)
    }

    /// Kills a child run (`testChildTrainsUntilKilled` with `extra` settings) while it builds a checkpoint after a
    /// complete one (`sharded`: midway through the optimizer's shards), then checks that every complete checkpoint reads
    /// back whole (`sharded`: as shards), that the resume clears the half-written one and starts from the newest
    /// complete one, and that the resumed run finishes.
    private func killDuringCheckpoint(extra: [String], sharded: Bool = false, file: StaticString = #filePath, line: UInt = #line) throws {
        let root = try Fixtures.temporaryDirectory("kill-checkpoint")
        defer { try? FileManager.default.removeItem(at: root) }
        let fm = FileManager.default
        let run = root.appendingPathComponent("run"), checkpoints = run.appendingPathComponent("checkpoints")
        let settings = TrainingFixture.settings(run: run) + ["sft.steps=100000", "trainer.save_freq=1", "trainer.keep_last=2"] + extra
        func names(_ directory: URL) -> [String] { (try? fm.contentsOfDirectory(atPath: directory.path)) ?? [] }
        func temporaries() -> [String] { (names(run) + names(checkpoints)).filter { $0.hasPrefix(".") } }
        func step(_ name: String) -> Int? { Int(name.drop { !$0.isNumber }.prefix { $0.isNumber }) }
        /// The temporaries of checkpoints being built (of a step after every complete checkpoint's); `sharded`: only
        /// those holding some of the optimizer's shards and not yet their index.
        func halfWritten() -> [String] {
            let newest = names(checkpoints).filter { $0.hasPrefix("step-") }.compactMap(step).max() ?? 0
            return names(checkpoints).filter { name in
                guard name.hasPrefix(".step-"), name.contains(".tmp-"), (step(name) ?? 0) > newest else { return false }
                let held = names(checkpoints.appendingPathComponent(name))
                return !sharded || (held.contains { $0.hasPrefix(CheckpointStore.optimizerStem + "-") }
                                    && !held.contains(CheckpointStore.optimizerIndexFile))
            }
        }

        // Kill the child the moment a checkpoint is being built after a complete one exists; try again when the signal
        // landed too late (or while an old checkpoint was being removed).
        var leftBehind: [String] = []
        let deadline = Date().addingTimeInterval(60)
        for _ in 0..<20 where leftBehind.isEmpty && Date() < deadline {
            try? fm.removeItem(at: run)
            let child = Process()
            child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            child.arguments = ["AEPOTrainingTests.KillDuringCheckpointTests/testChildTrainsUntilKilled"]
            child.environment = ProcessInfo.processInfo.environment.merging([Self.childSettings: settings.joined(separator: "\n")]) { $1 }
            child.standardOutput = FileHandle.nullDevice
            child.standardError = FileHandle.nullDevice
            try child.run()
            while child.isRunning && Date() < deadline {
                if names(checkpoints).contains(where: { $0.hasPrefix("step-") }) && !halfWritten().isEmpty { break }
            }
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            leftBehind = halfWritten()
        }
        XCTAssertFalse(leftBehind.isEmpty, "no kill landed during a checkpoint write in 20 tries or a minute", file: file, line: line)

        // Every checkpoint under a checkpoint's name is complete: the previous ones are intact.
        let complete = names(checkpoints).filter { $0.hasPrefix("step-") }.sorted()
        XCTAssertFalse(complete.isEmpty, file: file, line: line)
        var newestStep = 0
        for name in complete {
            let url = checkpoints.appendingPathComponent(name)
            XCTAssertEqual(try CheckpointStore.load(url).state.step, step(name), name, file: file, line: line)
            newestStep = max(newestStep, step(name) ?? 0)
            if sharded {
                XCTAssertTrue(names(url).contains(CheckpointStore.optimizerIndexFile), "\(name): \(names(url))", file: file, line: line)
            }
        }

        // The resume clears the half-written checkpoint, starts from the newest complete one and runs two more steps.
        let config = try TrainingConfig.resolve(algorithm: "grpo", file: nil, overrides: settings + ["sft.steps=\(newestStep + 2)"])
        let resumed = try Trainer(config: config, phase: .sft, start: .resume, log: { _ in })
        XCTAssertEqual(temporaries(), [], "left behind by the kill: \(leftBehind)", file: file, line: line)
        XCTAssertEqual(resumed.state.step, newestStep, file: file, line: line)
        try resumed.train()
        XCTAssertEqual(resumed.state.step, newestStep + 2, file: file, line: line)
        let last = try XCTUnwrap(resumed.store.latest, file: file, line: line)
        XCTAssertEqual(last.lastPathComponent, String(format: "step-%06d", newestStep + 2), file: file, line: line)
        XCTAssertEqual(try CheckpointStore.load(last).state.step, newestStep + 2, file: file, line: line)
    }
}
