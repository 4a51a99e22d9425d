import AEPOTestSupport
@testable import AEPOTraining
import Foundation
import XCTest

/// A run killed with SIGKILL while it writes a checkpoint: the resume finds nothing left behind and continues from the
/// newest complete checkpoint.
final class KillDuringCheckpointTests: XCTestCase {
    /// The environment variable that makes `testChildTrainsUntilKilled` run: the child's settings, one per line.
    private static let childSettings = "AEPO_KILL_TEST_SETTINGS"

    /// A long SFT run checkpointed at every step, to be killed by its parent; skipped unless started by
    /// `testKillDuringCheckpointLeavesNothingBehind` as a child process.
    func testChildTrainsUntilKilled() throws {
        guard let settings = ProcessInfo.processInfo.environment[Self.childSettings] else {
            throw XCTSkip("runs only as the child process of testKillDuringCheckpointLeavesNothingBehind")
        }
        let config = try TrainingConfig.resolve(algorithm: "grpo", file: nil, overrides: settings.split(separator: "\n").map(String.init))
        try Trainer(config: config, phase: .sft, log: { _ in }).train()
    }

    func testKillDuringCheckpointLeavesNothingBehind() throws {
        let root = try Fixtures.temporaryDirectory("kill-checkpoint")
        defer { try? FileManager.default.removeItem(at: root) }
        let fm = FileManager.default
        let run = root.appendingPathComponent("run"), checkpoints = run.appendingPathComponent("checkpoints")
        let settings = TrainingFixture.settings(run: run) + ["sft.steps=100000", "trainer.save_freq=1", "trainer.keep_last=2"]
        func temporaries() -> [String] {
            (((try? fm.contentsOfDirectory(atPath: run.path)) ?? []) + ((try? fm.contentsOfDirectory(atPath: checkpoints.path)) ?? []))
                .filter { $0.hasPrefix(".") }
        }

        // Kill the child the moment a checkpoint is being written after a complete one exists; try again when the
        // write finished before the signal landed.
        var leftBehind: [String] = []
        for _ in 0..<20 where leftBehind.isEmpty {
            try? fm.removeItem(at: run)
            let child = Process()
            child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            child.arguments = ["AEPOTrainingTests.KillDuringCheckpointTests/testChildTrainsUntilKilled"]
            child.environment = ProcessInfo.processInfo.environment.merging([Self.childSettings: settings.joined(separator: "\n")]) { $1 }
            child.standardOutput = FileHandle.nullDevice
            child.standardError = FileHandle.nullDevice
            try child.run()
            let deadline = Date().addingTimeInterval(120)
            while child.isRunning && Date() < deadline {
                let names = (try? fm.contentsOfDirectory(atPath: checkpoints.path)) ?? []
                if names.contains(where: { $0.hasPrefix("step-") }) && names.contains(where: { $0.hasPrefix(".step-") }) { break }
            }
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            leftBehind = temporaries()
        }
        XCTAssertFalse(leftBehind.isEmpty, "no kill landed during a checkpoint write in 20 tries")

        let config = try TrainingConfig.resolve(algorithm: "grpo", file: nil, overrides: settings)
        let resumed = try Trainer(config: config, phase: .sft, start: .resume, log: { _ in })
        XCTAssertEqual(temporaries(), [], "left behind by the kill: \(leftBehind)")
        let newest = try XCTUnwrap(resumed.store.checkpoints().last)
        XCTAssertEqual(resumed.state.step, try CheckpointStore.load(newest).state.step)
        XCTAssertGreaterThan(resumed.state.step, 0)
    }
}
