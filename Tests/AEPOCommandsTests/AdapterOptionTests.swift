@testable import AEPOCommands
import AEPOCore
import AEPOModel
import AEPOTestSupport
import ArgumentParser
import Foundation
import XCTest

/// `aepo rollout`, `aepo eval` and `aepo serve` take a base plus a PEFT adapter (`--adapter DIR`) and sample exactly as
/// from the directory `aepo merge` makes of them.
final class AdapterOptionTests: XCTestCase {
    /// The tool-prone workspace, a random adapter of its model, and the merged directory.
    func workspace(_ root: URL) throws -> (model: URL, data: URL, adapter: URL, merged: URL) {
        let (modelURL, dataURL) = try ToolProneWorkspace.make(in: root)
        let config = try Checkpoint.load(directory: modelURL).config
        let adapter = try LoRAAdapter(config: LoRAConfig(rank: 2, alpha: 4, targets: [.query, .value, .down]), model: config, seed: 1)
        var generator = SeededGenerator(seed: 2)
        for entry in adapter.entries where entry.name.contains("lora_B") {
            for i in entry.offset..<(entry.offset + entry.count) { adapter.parameters[i] = Float(generator.nextGaussian()) * 0.2 }
        }
        let adapterURL = root.appendingPathComponent("adapter"), merged = root.appendingPathComponent("merged")
        try PEFTAdapterFormat.save(adapter, to: adapterURL, baseModel: modelURL.path)
        _ = try MergeCommand.parse(["--model", modelURL.path, "--adapter", adapterURL.path, "--out", merged.path]).merge()
        return (modelURL, dataURL, adapterURL, merged)
    }

    func testRolloutEvalAndServeSampleFromTheMergedModel() throws {
        let root = try Fixtures.temporaryDirectory("adapter-option")
        defer { try? FileManager.default.removeItem(at: root) }
        let w = try workspace(root)
        func rollout(_ model: [String], _ name: String) throws -> Data {
            let out = root.appendingPathComponent(name)
            _ = try RolloutCommand.parse(model + ["--data", w.data.path, "--algorithm", "grpo", "--questions", "1", "--out", out.path,
                                                  "--set", "rollout.n=2", "--set", "rollout.initial_rollouts=1", "--set", "rollout.response_length=16"]).output()
            return try Data(contentsOf: out)
        }
        let adapted = try rollout(["--model", w.model.path, "--adapter", w.adapter.path], "adapted.jsonl")
        XCTAssertEqual(adapted, try rollout(["--model", w.merged.path], "merged.jsonl"))
        XCTAssertNotEqual(adapted, try rollout(["--model", w.model.path], "base.jsonl"))

        func evaluate(_ model: [String], _ name: String) throws -> Data {
            let out = root.appendingPathComponent(name)
            _ = try EvalCommand.parse(model + ["--data", w.data.path, "--splits", "train", "--questions", "1", "--runs", "1", "--k", "1",
                                               "--out", out.path, "--set", "rollout.response_length=16"]).evaluate()
            return try Data(contentsOf: out.appendingPathComponent("outcomes.jsonl"))
        }
        XCTAssertEqual(try evaluate(["--model", w.model.path, "--adapter", w.adapter.path], "eval-adapted"),
                       try evaluate(["--model", w.merged.path], "eval-merged"))

        let served = try ServeCommand.parse(["--model", w.model.path, "--adapter", w.adapter.path]).weights().model
        XCTAssertEqual(served.parameterValues, try Checkpoint.load(directory: w.merged).parameters)
        XCTAssertThrowsError(try ServeCommand.parse(["--random-config", w.model.appendingPathComponent("config.json").path,
                                                     "--tokenizer", w.data.appendingPathComponent("tokenizer.json").path,
                                                     "--adapter", w.adapter.path]))
    }

    /// Every command that reads a model or an adapter names the PyTorch files it also reads in its help.
    func testHelpNamesBothWeightFormats() {
        let commands: [(ParsableCommand.Type, adapter: Bool)] = [(ServeCommand.self, true), (EvalCommand.self, true),
                                                                  (RolloutCommand.self, true), (MergeCommand.self, true),
                                                                  (InspectLogits.self, true), (Bench.self, false)]
        for (command, adapter) in commands {
            let help = command.helpMessage(columns: 10_000)
            XCTAssertTrue(help.contains("model.safetensors, pytorch_model.bin, or either's shards"), "\(command)")
            XCTAssertEqual(help.contains("adapter_model.safetensors or adapter_model.bin"), adapter, "\(command)")
        }
    }
}
