import AEPOCore
import AEPOModel
import AEPOTestSupport
import Foundation
import XCTest

final class CheckpointTests: XCTestCase {
    /// The fixture in the older spelling: untied head, top-level rope_theta, head_dim = hidden / heads.
    func testLoadsFixtureA() throws {
        let checkpoint = try Checkpoint.load(directory: Fixtures.url("qwen3-tiny-a"))
        let c = checkpoint.config
        XCTAssertEqual(c, Qwen3Config(
            vocabSize: 64, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 2, numAttentionHeads: 4,
            numKeyValueHeads: 2, headDim: 8, rmsNormEps: 1e-6, ropeTheta: 10_000, maxPositionEmbeddings: 128,
            tieWordEmbeddings: false, initializerRange: 0.02))
        let layout = ParameterLayout(config: c)
        XCTAssertEqual(checkpoint.parameters.count, layout.totalCount)
        XCTAssertNotNil(layout["lm_head.weight"])
        // Values read from the file independently (Python struct.unpack), as hex floats.
        try assertValues(checkpoint, "model.embed_tokens.weight", first: [0x1.478e88p-3, -0x1.526ae4p-2], last: 0x1.2262fcp-4, sum: -4.060675196204102)
        try assertValues(checkpoint, "model.norm.weight", first: [0x1.45c34ap+0, 0x1.8dfd7ep-1], last: 0x1.da19f0p-1, sum: 31.761228680610657)
        try assertValues(checkpoint, "model.layers.1.mlp.down_proj.weight", first: [0x1.0a0300p-2, 0x1.2e936cp-5], last: 0x1.2c4998p-2, sum: 14.876330460392637)
    }

    /// The fixture in the newer spelling: tied head, rope_parameters, 4:1 GQA, head_dim ≠ hidden / heads.
    func testLoadsFixtureB() throws {
        let checkpoint = try Checkpoint.load(directory: Fixtures.url("qwen3-tiny-b"))
        let c = checkpoint.config
        XCTAssertEqual(c, Qwen3Config(
            vocabSize: 96, hiddenSize: 32, intermediateSize: 48, numHiddenLayers: 3, numAttentionHeads: 4,
            numKeyValueHeads: 1, headDim: 16, rmsNormEps: 1e-6, ropeTheta: 1_000_000, maxPositionEmbeddings: 128,
            tieWordEmbeddings: true, initializerRange: 0.02))
        XCTAssertNil(ParameterLayout(config: c)["lm_head.weight"])
        try assertValues(checkpoint, "model.embed_tokens.weight", first: [0x1.1c4cdap-1, 0x1.2ead74p-3], last: -0x1.09acc8p-3, sum: 0.912173773831455)
        try assertValues(checkpoint, "model.norm.weight", first: [0x1.78535ep+0, 0x1.60c4acp+0], last: 0x1.533d38p+0, sum: 32.60252332687378)
        try assertValues(checkpoint, "model.layers.1.mlp.down_proj.weight", first: [-0x1.890014p-3, -0x1.a01130p-2], last: 0x1.5a5358p-2, sum: 10.81196931975137)
    }

    private func assertValues(_ checkpoint: Checkpoint, _ name: String, first: [Float], last: Float, sum: Double,
                              file: StaticString = #filePath, line: UInt = #line) throws {
        let entry = try XCTUnwrap(ParameterLayout(config: checkpoint.config)[name], file: file, line: line)
        let values = checkpoint.parameters[entry.offset..<entry.offset + entry.count]
        XCTAssertEqual(Array(values.prefix(first.count)), first, name, file: file, line: line)
        XCTAssertEqual(values.last, last, name, file: file, line: line)
        XCTAssertEqual(values.reduce(0.0) { $0 + Double($1) }, sum, accuracy: 1e-9, name, file: file, line: line)
    }

    func testSaveThenLoadIsBitIdentical() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for fixture in ["qwen3-tiny-a", "qwen3-tiny-b"] {
            var original = try Checkpoint.load(directory: Fixtures.url(fixture))
            original.config.bosTokenID = 1
            original.config.eosTokenID = 2
            original.parameters[3] = .nan  // bit patterns, not just values, must survive
            original.parameters[4] = -0.0
            original.parameters[5] = .leastNonzeroMagnitude
            let saved = directory.appendingPathComponent(fixture)
            try original.save(to: saved)
            let reloaded = try Checkpoint.load(directory: saved, allowingNonFiniteWeights: true)
            XCTAssertEqual(reloaded.config, original.config)
            XCTAssertEqual(reloaded.parameters.map(\.bitPattern), original.parameters.map(\.bitPattern))
            // Saving the reloaded checkpoint again gives the same bytes.
            let again = directory.appendingPathComponent(fixture + "-again")
            try reloaded.save(to: again)
            for file in ["config.json", "generation_config.json", "model.safetensors"] {
                XCTAssertEqual(try Data(contentsOf: saved.appendingPathComponent(file)),
                               try Data(contentsOf: again.appendingPathComponent(file)), file)
            }
            let generation = try JSONValue.parse(Data(contentsOf: saved.appendingPathComponent("generation_config.json")))
            XCTAssertEqual(generation.objectValue?["bos_token_id"], .integer(1))
            XCTAssertEqual(generation.objectValue?["eos_token_id"], .integer(2))
        }
    }

    func testSaveReplacesDirectoryAndCopiesTokenizer() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenizer = directory.appendingPathComponent("source-tokenizer.json")
        try Data(#"{"model": {}}"#.utf8).write(to: tokenizer)
        let target = directory.appendingPathComponent("model")
        let a = try Checkpoint.load(directory: Fixtures.url("qwen3-tiny-a"))
        let b = try Checkpoint.load(directory: Fixtures.url("qwen3-tiny-b"))
        try Checkpoint.save(config: a.config, parameters: a.parameters, to: target, tokenizer: tokenizer)
        XCTAssertEqual(try Data(contentsOf: target.appendingPathComponent("tokenizer.json")), try Data(contentsOf: tokenizer))
        try b.save(to: target)
        XCTAssertEqual(try Checkpoint.load(directory: target).config, b.config)
        XCTAssertFalse(FileManager.default.fileExists(atPath: target.appendingPathComponent("tokenizer.json").path))
        assertInputError(try a.save(to: target, tokenizer: directory.appendingPathComponent("absent.json")), mentions: ["absent.json", "tokenizer"])
        XCTAssertEqual(try Checkpoint.load(directory: target).config, b.config, "a failed save leaves the old directory")
    }

    /// The tokenizer's special tokens and chat template (`tokenizer_config.json`, `chat_template.jinja`) go with it, so a
    /// run's checkpoints and `final/` render prompts with the template they were trained on.
    func testSaveCopiesTheFilesBesideTheTokenizer() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("base")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        let files = ["tokenizer.json": #"{"model": {}}"#, "tokenizer_config.json": #"{"eos_token": "<|im_end|>"}"#,
                     "chat_template.jinja": "{{ messages }}", "vocab.json": "{}"]
        for (name, text) in files { try Data(text.utf8).write(to: source.appendingPathComponent(name)) }
        let a = try Checkpoint.load(directory: Fixtures.url("qwen3-tiny-a"))
        let target = directory.appendingPathComponent("model")
        try a.save(to: target, tokenizer: source.appendingPathComponent("tokenizer.json"))
        for name in ["tokenizer.json", "tokenizer_config.json", "chat_template.jinja"] {
            XCTAssertEqual(try String(contentsOf: target.appendingPathComponent(name), encoding: .utf8), files[name], name)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: target.appendingPathComponent("vocab.json").path))
    }

    /// A directory whose tensors are split over two shards and listed in the index.
    func testLoadsShardedDirectory() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let original = try Checkpoint.load(directory: Fixtures.url("qwen3-tiny-b"))
        let layout = ParameterLayout(config: original.config)
        try original.config.jsonData().write(to: directory.appendingPathComponent("config.json"))
        let (first, second) = (layout.entries.prefix(5), layout.entries.dropFirst(5))
        func tensors(_ entries: ArraySlice<ParameterLayout.Entry>) -> [Safetensors.Tensor] {
            entries.map { Safetensors.Tensor(name: $0.name, shape: $0.shape, values: original.parameters[$0.offset..<$0.offset + $0.count]) }
        }
        let shardNames = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
        try Safetensors.write(tensors(first), to: directory.appendingPathComponent(shardNames[0]))
        try Safetensors.write(tensors(second), to: directory.appendingPathComponent(shardNames[1]))
        var weightMap: [String: JSONValue] = [:]
        for e in first { weightMap[e.name] = .string(shardNames[0]) }
        for e in second { weightMap[e.name] = .string(shardNames[1]) }
        let indexURL = directory.appendingPathComponent("model.safetensors.index.json")
        func writeIndex() throws {
            let index = JSONValue.object(["metadata": .object(["total_size": .integer(4 * layout.totalCount)]), "weight_map": .object(weightMap)])
            try Data(index.serialized(indent: 2).utf8).write(to: indexURL)
        }
        try writeIndex()
        let loaded = try Checkpoint.load(directory: directory)
        XCTAssertEqual(loaded.config, original.config)
        XCTAssertEqual(loaded.parameters.map(\.bitPattern), original.parameters.map(\.bitPattern))

        // An index that sends a tensor to the wrong shard is refused, naming the tensor.
        let moved = first.first!.name
        weightMap[moved] = .string(shardNames[1])
        try writeIndex()
        assertInputError(try Checkpoint.load(directory: directory), mentions: [moved, shardNames[0]])
        // A shard file that the index names but that does not exist.
        weightMap[moved] = .string("model-00003-of-00002.safetensors")
        try writeIndex()
        assertInputError(try Checkpoint.load(directory: directory), mentions: ["model-00003-of-00002.safetensors", "cannot read"])
        // A file name that escapes the directory.
        weightMap[moved] = .string("../model.safetensors")
        try writeIndex()
        assertInputError(try Checkpoint.load(directory: directory), mentions: ["model.safetensors.index.json", "weight_map", moved])
        // No weights at all.
        try FileManager.default.removeItem(at: indexURL)
        assertInputError(try Checkpoint.load(directory: directory), mentions: [directory.path, "model.safetensors"])
    }

    /// Weights above `maxShardBytes` are written as transformers writes them: shards in layout order, each up to the
    /// limit, and an index naming each tensor's shard; they read back bit for bit. Saving over a directory replaces it
    /// whole, so no shard or index of an earlier save remains.
    func testSavesShardsAboveTheLimitAndReadsThemBack() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let original = try Checkpoint.load(directory: Fixtures.url("qwen3-tiny-a"))
        let layout = ParameterLayout(config: original.config)
        let target = directory.appendingPathComponent("model")
        // Limit: the embedding (8 KB) and the first norm fit, the q projection would not.
        let limit = 4 * (64 * 32 + 32 + 100)
        try original.save(to: target, maxShardBytes: limit)
        let names = try FileManager.default.contentsOfDirectory(atPath: target.path).filter { $0.hasSuffix(".safetensors") }.sorted()
        let count = names.count
        XCTAssertGreaterThan(count, 2)
        XCTAssertEqual(names, (1...count).map { String(format: "model-%05d-of-%05d.safetensors", $0, count) })
        let index = try JSONValue.parse(Data(contentsOf: target.appendingPathComponent("model.safetensors.index.json")))
        XCTAssertEqual(index.objectValue?["metadata"]?.objectValue?["total_size"], .integer(4 * layout.totalCount))
        let weightMap = try XCTUnwrap(index.objectValue?["weight_map"]?.objectValue)
        XCTAssertEqual(Set(weightMap.keys), Set(layout.entries.map(\.name)))
        XCTAssertEqual(weightMap["model.embed_tokens.weight"], .string(names[0]))
        XCTAssertEqual(weightMap["model.layers.0.input_layernorm.weight"], .string(names[0]))
        XCTAssertEqual(weightMap["model.layers.0.self_attn.q_proj.weight"], .string(names[1]))
        // Shards follow the layout and each stays within the limit unless one tensor alone exceeds it.
        var previous = 0
        for (shard, name) in names.enumerated() {
            let file = try Safetensors(contentsOf: target.appendingPathComponent(name))
            let bytes = file.tensors.values.reduce(0) { $0 + 4 * $1.count }
            XCTAssertTrue(bytes <= limit || file.tensors.count == 1, "\(name): \(bytes) bytes in \(file.tensors.count) tensors")
            let positions = file.tensors.keys.map { name in layout.entries.firstIndex { $0.name == name }! }.sorted()
            XCTAssertEqual(positions, Array(positions.first!...positions.last!), "\(name) holds consecutive tensors")
            XCTAssertEqual(positions.first, previous, "shard \(shard) starts where the previous one ended")
            previous = positions.last! + 1
            for tensorName in file.tensors.keys { XCTAssertEqual(weightMap[tensorName], .string(name)) }
        }
        XCTAssertEqual(previous, layout.entries.count)
        XCTAssertFalse(FileManager.default.fileExists(atPath: target.appendingPathComponent("model.safetensors").path))
        let reloaded = try Checkpoint.load(directory: target)
        XCTAssertEqual(reloaded.config, original.config)
        XCTAssertEqual(reloaded.parameters.map(\.bitPattern), original.parameters.map(\.bitPattern))
        XCTAssertTrue(Checkpoint.holdsWeights(target))

        // Under the default limit the same directory becomes one model.safetensors, its shards and index gone, and back.
        try original.save(to: target)
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: target.path)),
                       ["config.json", "generation_config.json", "model.safetensors"])
        try original.save(to: target, maxShardBytes: 4 * layout.totalCount - 1)
        let fewer = try FileManager.default.contentsOfDirectory(atPath: target.path).filter { $0.hasPrefix("model-") }.sorted()
        XCTAssertEqual(fewer, ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
        XCTAssertEqual(try Checkpoint.load(directory: target).parameters.map(\.bitPattern), original.parameters.map(\.bitPattern))
        // Exactly at the limit: one file.
        try original.save(to: target, maxShardBytes: 4 * layout.totalCount)
        XCTAssertTrue(FileManager.default.fileExists(atPath: target.appendingPathComponent("model.safetensors").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: target.appendingPathComponent("model.safetensors.index.json").path))
    }

    /// Published checkpoints are bf16: a directory whose every tensor is BF16 loads as the exact widened values.
    func testLoadsBF16Checkpoint() throws {
        let original = try Checkpoint.load(directory: Fixtures.url("qwen3-tiny-b"))
        let layout = ParameterLayout(config: original.config)
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try original.config.jsonData().write(to: directory.appendingPathComponent("config.json"))
        let entries = layout.entries.map { e in
            RawTensor(name: e.name, dtype: "BF16", shape: e.shape,
                      bytes: original.parameters[e.offset..<e.offset + e.count].flatMap { littleEndianBytes(UInt16($0.bitPattern >> 16)) })
        }
        try RawTensor.file(entries).write(to: directory.appendingPathComponent("model.safetensors"))
        let loaded = try Checkpoint.load(directory: directory)
        XCTAssertEqual(loaded.parameters.map(\.bitPattern), original.parameters.map { $0.bitPattern & 0xFFFF_0000 })
    }

    // MARK: Bad checkpoints

    /// Writes fixture B's config and its tensors, edited by `edit`, as a single `model.safetensors`.
    private func checkpointDirectory(tied: Bool = true, _ edit: (inout [RawTensor]) -> Void) throws -> URL {
        let original = try Checkpoint.load(directory: Fixtures.url(tied ? "qwen3-tiny-b" : "qwen3-tiny-a"))
        let layout = ParameterLayout(config: original.config)
        var tensors = layout.entries.map { e in
            RawTensor(name: e.name, dtype: "F32", shape: e.shape, bytes: original.parameters[e.offset..<e.offset + e.count].flatMap { littleEndianBytes($0.bitPattern) })
        }
        edit(&tensors)
        let directory = try Fixtures.temporaryDirectory()
        try original.config.jsonData().write(to: directory.appendingPathComponent("config.json"))
        try RawTensor.file(tensors).write(to: directory.appendingPathComponent("model.safetensors"))
        return directory
    }

    func testMissingTensorIsNamed() throws {
        let directory = try checkpointDirectory { $0.removeAll { $0.name == "model.layers.2.mlp.up_proj.weight" } }
        defer { try? FileManager.default.removeItem(at: directory) }
        assertInputError(try Checkpoint.load(directory: directory), mentions: ["model.safetensors", "missing tensor", "model.layers.2.mlp.up_proj.weight"])
    }

    func testShapeMismatchNamesBothShapes() throws {
        let directory = try checkpointDirectory { tensors in
            let i = tensors.firstIndex { $0.name == "model.layers.0.self_attn.k_proj.weight" }!
            tensors[i].shape = [tensors[i].shape[1], tensors[i].shape[0]]
        }
        defer { try? FileManager.default.removeItem(at: directory) }
        assertInputError(try Checkpoint.load(directory: directory), mentions: ["model.safetensors", "model.layers.0.self_attn.k_proj.weight", "[32, 16]", "[16, 32]"])
    }

    /// A config that claims a huge model over small files is refused on the shapes, before any allocation.
    func testHugeConfigOverSmallFileIsRefused() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var config = try Qwen3Config.load(from: Fixtures.url("qwen3-tiny-b/config.json"))
        config.vocabSize = 1 << 22
        config.hiddenSize = 1 << 16
        try config.jsonData().write(to: directory.appendingPathComponent("config.json"))
        try FileManager.default.copyItem(at: Fixtures.url("qwen3-tiny-b/model.safetensors"), to: directory.appendingPathComponent("model.safetensors"))
        assertInputError(try Checkpoint.load(directory: directory), mentions: ["model.embed_tokens.weight", "[96, 32]", "[4194304, 65536]"])
    }

    func testUnexpectedTensorIsRefused() throws {
        let directory = try checkpointDirectory { $0.append(RawTensor(name: "model.layers.0.self_attn.q_proj.bias", dtype: "F32", shape: [1], bytes: [0, 0, 0, 0])) }
        defer { try? FileManager.default.removeItem(at: directory) }
        assertInputError(try Checkpoint.load(directory: directory), mentions: ["model.safetensors", "unexpected tensor", "q_proj.bias"])
    }

    func testTiedCheckpointAcceptsEqualHeadOnly() throws {
        let equal = try checkpointDirectory { tensors in
            let embedding = tensors.first { $0.name == "model.embed_tokens.weight" }!
            tensors.append(RawTensor(name: "lm_head.weight", dtype: "F32", shape: embedding.shape, bytes: embedding.bytes))
        }
        defer { try? FileManager.default.removeItem(at: equal) }
        XCTAssertEqual(try Checkpoint.load(directory: equal).parameters, try Checkpoint.load(directory: Fixtures.url("qwen3-tiny-b")).parameters)

        let different = try checkpointDirectory { tensors in
            var head = tensors.first { $0.name == "model.embed_tokens.weight" }!
            head.name = "lm_head.weight"
            head.bytes[7] ^= 0x01
            tensors.append(head)
        }
        defer { try? FileManager.default.removeItem(at: different) }
        assertInputError(try Checkpoint.load(directory: different), mentions: ["model.safetensors", "lm_head.weight", "tie_word_embeddings"])
    }

    func testUntiedCheckpointNeedsItsHead() throws {
        let directory = try checkpointDirectory(tied: false) { $0.removeAll { $0.name == "lm_head.weight" } }
        defer { try? FileManager.default.removeItem(at: directory) }
        assertInputError(try Checkpoint.load(directory: directory), mentions: ["missing tensor", "lm_head.weight"])
    }

    func testMissingConfigIsNamed() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        assertInputError(try Checkpoint.load(directory: directory), mentions: ["config.json", "cannot read"])
    }

    func testNonFiniteWeightIsRefusedNamingTheTensorUnlessAllowed() throws {
        for (value, text) in [(Float.nan, "nan"), (-Float.infinity, "-inf")] {
            let directory = try checkpointDirectory { tensors in
                let i = tensors.firstIndex { $0.name == "model.layers.1.mlp.down_proj.weight" }!
                tensors[i].bytes.replaceSubrange(12..<16, with: littleEndianBytes(value.bitPattern))
            }
            defer { try? FileManager.default.removeItem(at: directory) }
            assertInputError(try Checkpoint.load(directory: directory),
                             mentions: ["model.safetensors", "model.layers.1.mlp.down_proj.weight", "holds \(text) at element 3", "finite"])
            let loaded = try Checkpoint.load(directory: directory, allowingNonFiniteWeights: true)
            XCTAssertEqual(loaded.parameters.filter { !$0.isFinite }.count, 1)
        }
    }

    /// Weights that would not fit as float32 are refused, naming the directory and the figures, before they are read.
    func testWeightsBeyondTheMemoryLimitAreRefusedBeforeReading() {
        let directory = Fixtures.url("qwen3-tiny-b")
        assertInputError(try Checkpoint.load(directory: directory, memoryLimit: MemoryLimit(bytes: 1000, source: "a test limit")),
                         mentions: [directory.path, "reading these weights as float32 needs about", "more than the 1000 B (a test limit)"])
    }
}
