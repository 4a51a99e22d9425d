import AEPOCore
import AEPOModel
import AEPOTestSupport
import XCTest

/// Adapters written by PEFT's `save_pretrained` (`Tests/Fixtures/lora-peft-*`, made by
/// `Tests/Fixtures/generators/make_lora_fixture.py`) load and give `PeftModel.from_pretrained`'s logits; adapters
/// written by aepo load back bit for bit; bad adapters are refused with errors naming the file and field.
final class PEFTAdapterFormatTests: XCTestCase {
    /// The fixture's base (`qwen3-tiny-a` or `-b`) and adapter.
    func load(_ fixture: String, base: String) throws -> (checkpoint: Checkpoint, adapter: LoRAAdapter) {
        let checkpoint = try Checkpoint.load(directory: Fixtures.url(base))
        return (checkpoint, try PEFTAdapterFormat.load(directory: Fixtures.url(fixture), model: checkpoint.config))
    }

    func check(_ fixture: String, base: String, targets: [LoRATarget], scale: Float) throws {
        let (checkpoint, adapter) = try load(fixture, base: base)
        XCTAssertEqual(adapter.config.targets, targets)
        XCTAssertEqual(adapter.config.scale, scale, accuracy: 1e-7)
        let reference = try ModelReference.load(fixture)
        let adapted = try Qwen3Model(config: checkpoint.config, parameters: checkpoint.parameters)
        try adapted.attach(adapter)
        XCTAssertLessThan(reference.maxLogitError(try adapted.logits(for: reference.inputIDs)), 1e-4, "\(fixture): adapter")
        let logProbs = try adapted.forward(.nextToken(reference.inputIDs)).logProbs
        XCTAssertEqual(-logProbs.map(Double.init).reduce(0, +) / Double(logProbs.count), reference.loss, accuracy: 1e-5 * reference.loss)

        var merged = checkpoint
        try merged.mergeAdapter(at: Fixtures.url(fixture))
        let plain = try Qwen3Model(config: merged.config, parameters: merged.parameters)
        XCTAssertLessThan(reference.maxLogitError(try plain.logits(for: reference.inputIDs)), 1e-4, "\(fixture): merged")
        let base = try Qwen3Model(config: checkpoint.config, parameters: checkpoint.parameters)
        XCTAssertGreaterThan(reference.maxLogitError(try base.logits(for: reference.inputIDs)), 1e-2, "\(fixture): the adapter matters")
    }

    func testPEFTAdapterOnSomeModulesMatchesPEFT() throws {
        try check("lora-peft-a", base: "qwen3-tiny-a", targets: [.query, .value, .output, .gate, .down], scale: 6.0 / 4)
    }

    func testRankStabilisedAdapterOnEveryModuleMatchesPEFT() throws {
        try check("lora-peft-b", base: "qwen3-tiny-b", targets: LoRATarget.allCases, scale: Float(4 / 8.0.squareRoot()))
    }

    /// What aepo writes loads back bit for bit, with PEFT's configuration fields.
    func testWrittenAdapterLoadsBackBitwise() throws {
        let (checkpoint, adapter) = try load("lora-peft-b", base: "qwen3-tiny-b")
        let directory = try Fixtures.temporaryDirectory("peft-round-trip")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("adapter")
        try PEFTAdapterFormat.save(adapter, to: out, baseModel: "Tests/Fixtures/qwen3-tiny-b")
        let again = try PEFTAdapterFormat.load(directory: out, model: checkpoint.config)
        XCTAssertEqual(again.config, adapter.config)
        XCTAssertEqual(again.entries, adapter.entries)
        XCTAssertEqual(again.parameterValues.map(\.bitPattern), adapter.parameterValues.map(\.bitPattern))
        let (_, baseModel) = try PEFTAdapterFormat.readConfig(directory: out)
        XCTAssertEqual(baseModel, "Tests/Fixtures/qwen3-tiny-b")
        let written = try JSONValue.parse(Data(contentsOf: out.appendingPathComponent(PEFTAdapterFormat.configFileName))).objectValue!
        XCTAssertEqual(written["peft_type"], .string("LORA"))
        XCTAssertEqual(written["task_type"], .string("CAUSAL_LM"))
        XCTAssertEqual(written["r"], .integer(8))
        XCTAssertEqual(written["lora_alpha"], .integer(4))
        XCTAssertEqual(written["use_rslora"], .bool(true))
        XCTAssertEqual(written["bias"], .string("none"))
        XCTAssertEqual(written["fan_in_fan_out"], .bool(false))
        let names = try Safetensors(contentsOf: out.appendingPathComponent(PEFTAdapterFormat.weightsFileName)).tensors.keys
        XCTAssertTrue(names.contains("base_model.model.model.layers.2.mlp.down_proj.lora_B.weight"))
        XCTAssertEqual(names.count, 3 * 7 * 2)
    }

    // MARK: Bad input

    /// A copy of `lora-peft-a` whose adapter_config.json has `changes` applied (a `nil` value removes the key).
    func adapterDirectory(_ changes: [String: JSONValue?]) throws -> URL {
        let directory = try Fixtures.temporaryDirectory("bad-adapter")
        for name in [PEFTAdapterFormat.configFileName, PEFTAdapterFormat.weightsFileName] {
            try FileManager.default.copyItem(at: Fixtures.url("lora-peft-a/\(name)"), to: directory.appendingPathComponent(name))
        }
        let url = directory.appendingPathComponent(PEFTAdapterFormat.configFileName)
        var object = try JSONValue.parse(Data(contentsOf: url)).objectValue!
        for (key, value) in changes { object[key] = value }
        try JSONValue.object(object).serialized().write(to: url, atomically: true, encoding: .utf8)
        return directory
    }

    func assertRefused(_ changes: [String: JSONValue?], base: String = "qwen3-tiny-a", field: String?, _ message: String,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let directory = try adapterDirectory(changes)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try Checkpoint.load(directory: Fixtures.url(base)).config
        XCTAssertThrowsError(try PEFTAdapterFormat.load(directory: directory, model: config), file: file, line: line) { error in
            guard let error = error as? InputError else { return XCTFail("not an InputError: \(error)", file: file, line: line) }
            XCTAssertTrue(error.source.hasPrefix(directory.path), "names the file: \(error)", file: file, line: line)
            XCTAssertEqual(error.field, field, "\(error)", file: file, line: line)
            XCTAssertTrue(error.message.contains(message), "\(error)", file: file, line: line)
        }
    }

    func testBadAdaptersAreRefusedNamingFileAndField() throws {
        try assertRefused(["peft_type": .string("PREFIX_TUNING")], field: "peft_type", "'PREFIX_TUNING' are not supported; expected 'LORA'")
        try assertRefused(["target_modules": .array([.string("q_proj"), .string("qkv_proj")])], field: "target_modules",
                          "unknown target module 'qkv_proj'")
        try assertRefused(["target_modules": .string(".*proj")], field: "target_modules", "the pattern '.*proj'")
        try assertRefused(["r": .integer(0)], field: "r", "must be positive")
        try assertRefused(["r": .integer(64)], field: "r", "rank 64 is larger than")
        try assertRefused(["use_dora": .bool(true)], field: "use_dora", "DoRA")
        try assertRefused(["bias": .string("all")], field: "bias", "'all' is not supported")
        try assertRefused(["rank_pattern": .object(["q_proj": .integer(2)])], field: "rank_pattern", "per-module ranks")
        try assertRefused(["layers_to_transform": .array([.integer(0)])], field: "layers_to_transform", "every layer adapted")
        try assertRefused(["lora_dropout": .number(1.5)], field: "lora_dropout", "[0, 1)")
        try assertRefused(["lora_alpha": nil], field: "lora_alpha", "missing")
        // The tensors disagree with the configuration or the base.
        try assertRefused(["target_modules": .array([.string("q_proj"), .string("k_proj")])], field: nil,
                          "missing tensor 'base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight'")
        try assertRefused(["target_modules": .array([.string("q_proj")])], field: nil, "unexpected tensor")
        try assertRefused([:], base: "qwen3-tiny-b", field: nil, "the adapter was made for a base model of another shape")
    }

    func testMissingWeightsAreRefused() throws {
        let directory = try adapterDirectory([:])
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.removeItem(at: directory.appendingPathComponent(PEFTAdapterFormat.weightsFileName))
        XCTAssertThrowsError(try PEFTAdapterFormat.load(directory: directory, model: try Checkpoint.load(directory: Fixtures.url("qwen3-tiny-a")).config)) {
            XCTAssertTrue("\($0)".contains(PEFTAdapterFormat.weightsFileName), "\($0)")
        }
    }
}
