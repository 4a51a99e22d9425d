import AEPOCore
import AEPOModel
import AEPOTestSupport
import Foundation
import XCTest

final class Qwen3ConfigJSONTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try Fixtures.temporaryDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Fixture A's config.json (older spelling) with `edit` applied, written to a temporary file.
    private func configFile(from fixture: String = "qwen3-tiny-a", _ edit: (inout [String: JSONValue]) -> Void) throws -> URL {
        var object = try JSONValue.parse(Data(contentsOf: Fixtures.url("\(fixture)/config.json"))).objectValue!
        edit(&object)
        let url = directory.appendingPathComponent("config-\(UUID().uuidString).json")
        try Data(JSONValue.object(object).serialized(indent: 2).utf8).write(to: url)
        return url
    }

    private func assertRefused(_ edit: (inout [String: JSONValue]) -> Void, field: String, mentions: [String] = [],
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let url = try configFile(edit)
        assertInputError(try Qwen3Config.load(from: url), mentions: [url.path, "field '\(field)'"] + mentions, file: file, line: line)
    }

    func testHeadDimDefaultsToHiddenOverHeads() throws {
        let absent = try Qwen3Config.load(from: configFile { $0["head_dim"] = nil; $0["hidden_size"] = .integer(48) })
        XCTAssertEqual(absent.headDim, 12)
        let null = try Qwen3Config.load(from: configFile { $0["head_dim"] = .null })
        XCTAssertEqual(null.headDim, 8)
        try assertRefused({ $0["head_dim"] = nil; $0["hidden_size"] = .integer(30) }, field: "head_dim", mentions: ["not divisible"])
    }

    func testAcceptsBothRopeSpellingsAndHarmlessKeys() throws {
        let nested = try Qwen3Config.load(from: configFile {
            $0["rope_theta"] = nil
            $0["rope_parameters"] = .object(["rope_type": .string("default"), "rope_theta": .number(500_000)])
        })
        XCTAssertEqual(nested.ropeTheta, 500_000)
        let both = try Qwen3Config.load(from: configFile {
            $0["rope_parameters"] = .object(["rope_type": .string("default"), "rope_theta": .integer(10_000)])
            $0["rope_scaling"] = .null
        })
        XCTAssertEqual(both.ropeTheta, 10_000)
        let relaxed = try Qwen3Config.load(from: configFile {
            $0["sliding_window"] = .integer(4096)  // ignored while use_sliding_window is false
            $0["torch_dtype"] = .string("bfloat16")
            $0["dtype"] = .string("bfloat16")
            $0["eos_token_id"] = .array([.integer(7), .integer(9)])
            $0["bos_token_id"] = .integer(3)
            $0["layer_types"] = .array([.string("full_attention"), .string("full_attention")])
            $0["tie_word_embeddings"] = nil
            $0["max_position_embeddings"] = nil
        })
        XCTAssertEqual(relaxed.eosTokenID, 7)
        XCTAssertEqual(relaxed.bosTokenID, 3)
        XCTAssertFalse(relaxed.tieWordEmbeddings, "transformers' Qwen3 default")
        XCTAssertEqual(relaxed.maxPositionEmbeddings, 32768, "transformers' Qwen3 default")
    }

    /// The written config.json reads back equal and carries both rope spellings and the keys transformers needs.
    func testEncodedConfigRoundTrips() throws {
        let config = Qwen3Config(
            vocabSize: 2048, hiddenSize: 256, intermediateSize: 768, numHiddenLayers: 4, numAttentionHeads: 8,
            numKeyValueHeads: 4, headDim: 32, rmsNormEps: 1e-6, ropeTheta: 10_000, maxPositionEmbeddings: 1024,
            tieWordEmbeddings: true, initializerRange: 0.02, bosTokenID: 1, eosTokenID: 2)
        let data = config.jsonData()
        XCTAssertEqual(try Qwen3Config(json: data, source: "memory"), config)
        let object = try XCTUnwrap(JSONValue.parse(data).objectValue)
        XCTAssertEqual(object["rope_theta"], .number(10_000))
        XCTAssertEqual(object["rope_parameters"], .object(["rope_theta": .number(10_000), "rope_type": .string("default")]))
        XCTAssertEqual(object["architectures"], .array([.string("Qwen3ForCausalLM")]))
        XCTAssertEqual(object["model_type"], .string("qwen3"))
        XCTAssertEqual(object["torch_dtype"], .string("float32"))
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.contains(#""rms_norm_eps": 1e-06"#), text)
        XCTAssertTrue(text.contains(#""initializer_range": 0.02"#), text)
        XCTAssertTrue(text.contains(#""rope_theta": 10000.0"#), text)

        let generation = try XCTUnwrap(JSONValue.parse(config.generationConfigJSONData()).objectValue)
        XCTAssertEqual(generation["bos_token_id"], .integer(1))
        XCTAssertEqual(generation["eos_token_id"], .integer(2))
        var anonymous = config
        anonymous.bosTokenID = nil
        anonymous.eosTokenID = nil
        XCTAssertNil(try JSONValue.parse(anonymous.generationConfigJSONData()).objectValue?["eos_token_id"])
    }

    // MARK: Refused configurations: each names the file and the key.

    func testRefusesOtherModelTypes() throws {
        try assertRefused({ $0["model_type"] = .string("llama") }, field: "model_type", mentions: ["llama"])
    }

    func testRefusesSlidingWindow() throws {
        try assertRefused({ $0["use_sliding_window"] = .bool(true); $0["sliding_window"] = .integer(64) }, field: "use_sliding_window")
    }

    func testRefusesRopeScaling() throws {
        try assertRefused({ $0["rope_scaling"] = .object(["rope_type": .string("yarn"), "factor": .number(4)]) }, field: "rope_scaling", mentions: ["yarn"])
        try assertRefused({
            $0["rope_theta"] = nil
            $0["rope_parameters"] = .object(["rope_type": .string("linear"), "rope_theta": .number(10_000), "factor": .number(2)])
        }, field: "rope_parameters.rope_type", mentions: ["linear"])
        try assertRefused({ $0["rope_parameters"] = .object(["rope_type": .string("default"), "rope_theta": .number(20_000)]) },
                          field: "rope_parameters.rope_theta", mentions: ["disagrees"])
    }

    func testRefusesAttentionBias() throws {
        try assertRefused({ $0["attention_bias"] = .bool(true) }, field: "attention_bias")
    }

    func testRefusesOtherActivations() throws {
        try assertRefused({ $0["hidden_act"] = .string("gelu") }, field: "hidden_act", mentions: ["gelu"])
    }

    func testRefusesNonFullAttentionLayers() throws {
        try assertRefused({ $0["layer_types"] = .array([.string("full_attention"), .string("sliding_attention")]) },
                          field: "layer_types", mentions: ["sliding_attention"])
        try assertRefused({ $0["layer_types"] = .array([.string("full_attention")]) }, field: "layer_types", mentions: ["1 entries for 2 layers"])
    }

    func testRefusesMissingRequiredKeys() throws {
        for key in ["model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                    "num_attention_heads", "num_key_value_heads", "rms_norm_eps", "rope_theta"] {
            try assertRefused({ $0[key] = nil }, field: key, mentions: ["missing"])
        }
    }

    func testRefusesWrongTypes() throws {
        try assertRefused({ $0["hidden_size"] = .string("32") }, field: "hidden_size", mentions: ["expected an integer, found string"])
        try assertRefused({ $0["vocab_size"] = .number(64.5) }, field: "vocab_size", mentions: ["integer"])
        try assertRefused({ $0["tie_word_embeddings"] = .string("yes") }, field: "tie_word_embeddings", mentions: ["true or false"])
        try assertRefused({ $0["rms_norm_eps"] = .string("1e-6") }, field: "rms_norm_eps", mentions: ["number"])
        try assertRefused({ $0["model_type"] = .integer(3) }, field: "model_type", mentions: ["string"])
        try assertRefused({ $0["rope_parameters"] = .array([]) }, field: "rope_parameters", mentions: ["object"])
        try assertRefused({ $0["eos_token_id"] = .string("</s>") }, field: "eos_token_id")
    }

    func testRefusesNonPositiveSizes() throws {
        try assertRefused({ $0["num_hidden_layers"] = .integer(0) }, field: "num_hidden_layers", mentions: ["positive"])
        try assertRefused({ $0["vocab_size"] = .integer(-1) }, field: "vocab_size", mentions: ["positive"])
        try assertRefused({ $0["head_dim"] = .integer(0) }, field: "head_dim", mentions: ["positive"])
        try assertRefused({ $0["rms_norm_eps"] = .number(0) }, field: "rms_norm_eps", mentions: ["positive"])
        try assertRefused({ $0["rope_theta"] = .number(-1) }, field: "rope_theta", mentions: ["positive"])
        try assertRefused({ $0["rms_norm_eps"] = .number(1e300) }, field: "rms_norm_eps")
        // Sizes whose parameter count would overflow are refused before any layout is computed.
        try assertRefused({ $0["vocab_size"] = .integer(1 << 40) }, field: "vocab_size", mentions: ["exceeds the supported maximum"])
        try assertRefused({ $0["num_hidden_layers"] = .integer(Int.max) }, field: "num_hidden_layers", mentions: ["maximum"])
    }

    func testRefusesHeadsNotDivisibleByKeyValueHeads() throws {
        try assertRefused({ $0["num_key_value_heads"] = .integer(3) }, field: "num_key_value_heads", mentions: ["not divisible"])
    }

    func testRefusesMalformedJSON() throws {
        let truncated = directory.appendingPathComponent("config.json")
        let text = try String(contentsOf: Fixtures.url("qwen3-tiny-a/config.json"), encoding: .utf8)
        try Data(text.utf8.prefix(100)).write(to: truncated)
        assertInputError(try Qwen3Config.load(from: truncated), mentions: [truncated.path, "malformed JSON"])
        try Data("[1, 2]".utf8).write(to: truncated)
        assertInputError(try Qwen3Config.load(from: truncated), mentions: [truncated.path, "expected a JSON object"])
        try Data(#"{"vocab_size": 1, "vocab_size": 2}"#.utf8).write(to: truncated)
        assertInputError(try Qwen3Config.load(from: truncated), mentions: [truncated.path, "duplicate key 'vocab_size'"])
        let absent = directory.appendingPathComponent("absent.json")
        assertInputError(try Qwen3Config.load(from: absent), mentions: [absent.path, "cannot read"])
    }
}
