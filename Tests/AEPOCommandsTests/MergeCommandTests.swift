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
