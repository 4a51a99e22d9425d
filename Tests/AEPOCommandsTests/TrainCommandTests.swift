@testable import AEPOCommands
import AEPOAlgorithms
import AEPOCore
import AEPOTestSupport
import Foundation
import XCTest

/// `aepo sft` then a short `aepo train` of every preset from it, in a test-sized configuration, and `--resume`.
final class TrainCommandTests: XCTestCase {
    func testSFTThenEveryPresetTrains() throws {
        let root = try Fixtures.temporaryDirectory("train-command")
        defer { try? FileManager.default.removeItem(at: root) }
        let bench = root.appendingPathComponent("bench").path
        _ = try DataGenerate.parse(["--out", bench, "--seed", "2", "--size", "small", "--train", "6", "--test", "1", "--test-ood", "1",
                                    "--suites", "bridge", "--vocabulary-size", "300"]).output()
        let tiny = ["data.benchmark=\(bench)", "model.hidden_size=16", "model.intermediate_size=32", "model.num_layers=1",
                    "model.num_heads=2", "model.num_kv_heads=1", "model.head_dim=8", "model.max_positions=256", "trainer.log_freq=100"]
        let sftRun = root.appendingPathComponent("sft").path
        try SFTCommand.parse(tiny.flatMap { ["--set", $0] } + ["sft.steps=2", "sft.batch_size=2", "trainer.run_dir=\(sftRun)"]).run()
        XCTAssertTrue(FileManager.default.fileExists(atPath: sftRun + "/final/model.safetensors"))

        for preset in AlgorithmPreset.allCases {
            let run = root.appendingPathComponent(preset.rawValue).path
            try TrainCommand.parse(["--algorithm", preset.rawValue, "--set", "model.path=\(sftRun)/final"] + tiny + [
                "trainer.run_dir=\(run)", "trainer.steps=1", "data.train_batch_size=2", "actor.ppo_mini_batch_size=1",
                "rollout.n=3", "rollout.initial_rollouts=1", "rollout.response_length=16", "rollout.max_tool_calls=1",
                "algorithm.filter_groups.max_num_gen_batches=1", "algorithm.overlong_buffer.len=8"]).run()
            let metrics = try String(contentsOf: URL(fileURLWithPath: run + "/metrics.jsonl"), encoding: .utf8)
            XCTAssertEqual(metrics.split(separator: "\n").count, 1, preset.rawValue)
            XCTAssertTrue(metrics.contains("\"phase\":\"rl\""), preset.rawValue)
            XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/checkpoints/step-000001/optimizer.safetensors"), preset.rawValue)
            let resolved = try String(contentsOf: URL(fileURLWithPath: run + "/config.json"), encoding: .utf8)
            XCTAssertTrue(resolved.contains("\"algorithm.name\": \"\(preset.rawValue)\""), preset.rawValue)
        }

        // Resume the AEPO run for one more step from its directory.
        let aepo = root.appendingPathComponent("aepo").path
        try TrainCommand.parse(["--resume", aepo, "trainer.steps=2"]).run()
        XCTAssertEqual(try String(contentsOf: URL(fileURLWithPath: aepo + "/metrics.jsonl"), encoding: .utf8).split(separator: "\n").count, 2)

        XCTAssertThrowsError(try TrainCommand.parse(["--algorithm", "aepo", "trainer.stepz=2"] + tiny).run()) { error in
            XCTAssertEqual((error as? InputError)?.field, "trainer.stepz")
        }
    }
}
