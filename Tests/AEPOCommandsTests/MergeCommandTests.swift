@testable import AEPOCommands
import AEPOCore
import AEPOModel
import AEPOTestSupport
import Foundation
import XCTest

/// `aepo merge` writes a plain Hugging Face directory that computes what PEFT computes with the adapter, and
/// `aepo inspect logits --adapter` applies an adapter at load.
final class MergeCommandTests: XCTestCase {
    func testMergedDirectoryMatchesPEFT() throws {
        let directory = try Fixtures.temporaryDirectory("merge")
        defer { try? FileManager.default.removeItem(at: directory) }
        let base = directory.appendingPathComponent("base")
        try FileManager.default.copyItem(at: Fixtures.url("qwen3-tiny-a"), to: base)
        try Data("{}".utf8).write(to: base.appendingPathComponent("tokenizer_config.json"))
        let out = directory.appendingPathComponent("merged")
        let command = try MergeCommand.parse(["--model", base.path, "--adapter", Fixtures.url("lora-peft-a").path, "--out", out.path])
        XCTAssertEqual(try command.merge(), out)

        let names = Set(try FileManager.default.contentsOfDirectory(atPath: out.path))
        XCTAssertEqual(names, ["config.json", "generation_config.json", "tokenizer_config.json", "model.safetensors", "expected.json"],
                       "the base's other files are copied, its extra weight files are not")
        XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent("config.json")), try Data(contentsOf: base.appendingPathComponent("config.json")))
        let merged = try Checkpoint.load(directory: out)
        let reference = try ModelReference.load("lora-peft-a")
        let model = try Qwen3Model(config: merged.config, parameters: merged.parameters)
        XCTAssertLessThan(reference.maxLogitError(try model.logits(for: reference.inputIDs)), 1e-4)
    }

    /// `--max-shard-size` (a `ShardSize`) shards the merged weights; a bad size is refused.
    func testMaxShardSizeShardsTheMergedWeights() throws {
        let directory = try Fixtures.temporaryDirectory("merge")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("merged")
        let arguments = ["--model", Fixtures.url("qwen3-tiny-a").path, "--adapter", Fixtures.url("lora-peft-a").path, "--out", out.path]
        _ = try MergeCommand.parse(arguments + ["--max-shard-size", "20KB"]).merge()
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path)
        XCTAssertTrue(names.contains("model.safetensors.index.json"), "\(names)")
        XCTAssertFalse(names.contains("model.safetensors"), "\(names)")
        _ = try MergeCommand.parse(arguments).merge()
        let whole = try Checkpoint.load(directory: out)
        _ = try MergeCommand.parse(arguments + ["--max-shard-size", "20KB"]).merge()
        XCTAssertEqual(try Checkpoint.load(directory: out).parameters, whole.parameters)
        XCTAssertThrowsError(try MergeCommand.parse(arguments + ["--max-shard-size", "0"]).merge()) { error in
            XCTAssertTrue("\(error)".contains("--max-shard-size"), "\(error)")
        }
    }

    func testAdapterOfAnotherBaseIsRefusedAndNothingIsWritten() throws {
        let directory = try Fixtures.temporaryDirectory("merge")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("merged")
        let command = try MergeCommand.parse(["--model", Fixtures.url("qwen3-tiny-b").path, "--adapter", Fixtures.url("lora-peft-a").path,
                                              "--out", out.path])
        XCTAssertThrowsError(try command.merge()) { error in
            XCTAssertTrue("\(error)".contains("another shape"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }

    func testInspectLogitsAppliesTheAdapter() throws {
        let directory = try Fixtures.temporaryDirectory("merge")
        defer { try? FileManager.default.removeItem(at: directory) }
        let reference = try ModelReference.load("lora-peft-b")
        let input = directory.appendingPathComponent("input.json")
        try JSONEncoder().encode(["input_ids": reference.inputIDs]).write(to: input)
        let command = try InspectLogits.parse(["--model", Fixtures.url("qwen3-tiny-b").path, "--adapter", Fixtures.url("lora-peft-b").path,
                                               "--input", input.path])
        let printed = try JSONDecoder().decode(InspectLogitsTests.Printed.self, from: Data(try command.output().utf8))
        XCTAssertLessThan(reference.maxLogitError(printed.logits), 1e-4)
        XCTAssertEqual(printed.loss, reference.loss, accuracy: 1e-5 * reference.loss)
    }
}
