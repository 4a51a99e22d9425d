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
        // A resume keeps the run's algorithm and settings.
        for changed in [["--algorithm", "grpo"], ["rollout.n=4"]] {
            XCTAssertThrowsError(try TrainCommand.parse(["--resume", aepo] + changed).run()) { error in
                XCTAssertEqual((error as? InputError)?.field, changed.count == 2 ? "algorithm.name" : "rollout.n", "\(error)")
            }
        }

        XCTAssertThrowsError(try TrainCommand.parse(["--algorithm", "aepo", "trainer.stepz=2"] + tiny).run()) { error in
            XCTAssertEqual((error as? InputError)?.field, "trainer.stepz")
        }
    }

    /// `aepo sft --resume` continues with the run's own config.json (the command line names the directory and more
    /// steps, not the model's shape); a key that changes the run is refused; a new run needs an empty directory or
    /// `--overwrite`.
    func testSFTResumeKeepsItsConfigurationAndADirectoryHoldsOneRun() throws {
        let root = try Fixtures.temporaryDirectory("sft-command")
        defer { try? FileManager.default.removeItem(at: root) }
        let bench = root.appendingPathComponent("bench").path, run = root.appendingPathComponent("sft").path
        _ = try DataGenerate.parse(["--out", bench, "--seed", "2", "--size", "small", "--train", "4", "--test", "1", "--test-ood", "1",
                                    "--suites", "bridge", "--vocabulary-size", "300"]).output()
        let start = ["data.benchmark=\(bench)", "model.hidden_size=16", "model.intermediate_size=32", "model.num_layers=1",
                     "model.num_heads=2", "model.num_kv_heads=1", "model.head_dim=8", "model.max_positions=256", "trainer.log_freq=100",
                     "sft.steps=2", "sft.batch_size=2", "trainer.save_freq=1", "trainer.run_dir=\(run)"]
        try SFTCommand.parse(start).run()
        func lines(_ file: String) throws -> [String] {
            try String(contentsOf: URL(fileURLWithPath: run + "/" + file), encoding: .utf8).split(separator: "\n").map(String.init)
        }

        try SFTCommand.parse(["--resume", "--set", "trainer.run_dir=\(run)", "sft.steps=3"]).run()
        XCTAssertEqual(try lines("metrics.jsonl").count, 3)
        let saved = try lines("config.json")
        XCTAssertTrue(saved.contains("  \"model.hidden_size\": \"16\","), "\(saved)")
        XCTAssertTrue(saved.contains("  \"sft.steps\": \"3\","), "\(saved)")
        XCTAssertThrowsError(try SFTCommand.parse(["--resume", "trainer.run_dir=\(run)", "model.hidden_size=32"]).run()) { error in
            XCTAssertEqual((error as? InputError)?.field, "model.hidden_size", "\(error)")
        }

        XCTAssertThrowsError(try SFTCommand.parse(start).run()) { error in
            XCTAssertEqual((error as? InputError)?.field, "trainer.run_dir", "\(error)")
        }
        XCTAssertThrowsError(try SFTCommand.parse(start + ["--overwrite", "--resume"]).run())
        try SFTCommand.parse(start + ["--overwrite", "sft.steps=1"]).run()
        XCTAssertEqual(try lines("metrics.jsonl").count, 1)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints"), ["step-000001"])
    }
}
