import AEPOCore
import AEPOKernels
import AEPOTestSupport
import Foundation
import XCTest

@testable import AEPOModel

/// PyTorch-format weights (`Tests/Fixtures/torch-bin`, written by torch.save and PEFT with
/// `Tests/Fixtures/generators/make_torch_bin_fixture.py`) read as their safetensors twins, bit for bit; the restricted
/// unpickler refuses what a state dict does not hold, never running anything.
final class TorchCheckpointTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try Fixtures.temporaryDirectory("torch-checkpoint")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// `file`'s tensors equal `twin`'s: same names, dtypes and shapes, and the same bits.
    private func assertSameTensors(_ file: Safetensors, _ twin: Safetensors, line: UInt = #line) throws {
        XCTAssertEqual(Set(file.tensors.keys), Set(twin.tensors.keys), line: line)
        for (name, info) in twin.tensors {
            let ours = try XCTUnwrap(file.tensors[name], line: line)
            XCTAssertEqual(ours.dtype, info.dtype, name, line: line)
            XCTAssertEqual(ours.shape, info.shape, name, line: line)
            XCTAssertEqual(try file.floats(name).map(\.bitPattern), try twin.floats(name).map(\.bitPattern), name, line: line)
        }
    }

    func testStateDictMatchesItsSafetensorsTwin() throws {
        let file = try TorchCheckpoint.read(contentsOf: Fixtures.url("torch-bin/state-dict/views.bin"))
        let twin = try Safetensors(contentsOf: Fixtures.url("torch-bin/state-dict/views.safetensors"))
        try assertSameTensors(file, twin)
        XCTAssertEqual(Set(file.tensors.values.map(\.dtype)), [.f32, .f16, .bf16])
        XCTAssertTrue(try file.floats("half")[6].isNaN)
        XCTAssertEqual(file.tensors["scalar"]?.shape, [])
        XCTAssertEqual(file.tensors["empty"]?.shape, [0, 3])
        var stored = [BFloat16](repeating: BFloat16(bitPattern: 0), count: 10), twinStored = stored
        try stored.withUnsafeMutableBufferPointer { try file.read("bfloat", into: $0) }
        try twinStored.withUnsafeMutableBufferPointer { try twin.read("bfloat", into: $0) }
        XCTAssertEqual(stored.map(\.bitPattern), twinStored.map(\.bitPattern))
        // Views share their storage's bytes: an alias is the same range, a slice starts inside it.
        let base = try XCTUnwrap(file.tensors["base"]?.dataOffsets)
        XCTAssertEqual(file.tensors["alias"]?.dataOffsets, base)
        XCTAssertEqual(file.tensors["rows"]?.dataOffsets, base.lowerBound + 8 * 4..<base.lowerBound + 20 * 4)
        XCTAssertEqual(file.tensors["half_tail"]?.dataOffsets.lowerBound, try XCTUnwrap(file.tensors["half"]).dataOffsets.lowerBound + 3 * 2)
    }

    /// Non-contiguous views as torch.save keeps them (storage, offset, size, stride: transposes, a permutation, column and
    /// step slices, an expanded tensor with a stride of 0, float16 and bfloat16 views, a transposed `nn.Parameter`, 40
    /// strided rows of one storage) read as torch's contiguous copies, bit for bit, from the pickle torch.save writes at
    /// protocol 2 (its default) and at `pickle_protocol=3`, 4 and 5 (frames, MEMOIZE, STACK_GLOBAL, short strings).
    func testStridedViewsAtEveryProtocolMatchTorchsContiguousCopies() throws {
        let twin = try Safetensors(contentsOf: Fixtures.url("torch-bin/state-dict/strided.safetensors"))
        for name in ["strided", "protocol-3", "protocol-4", "protocol-5"] {
            let file = try TorchCheckpoint.read(contentsOf: Fixtures.url("torch-bin/state-dict/\(name).bin"))
            try assertSameTensors(file, twin)
            XCTAssertEqual(file.tensors.values.filter { $0.strides != nil }.count, file.tensors.count - 2, name)
            XCTAssertEqual(file.tensors["transposed"]?.strides, [1, 4], name)
            XCTAssertEqual(file.tensors["expanded"]?.strides, [0, 1], name)
            XCTAssertNil(file.tensors["base"]?.strides, name)
            // A strided view's bytes are its storage's, from its first element to its last.
            let base = try XCTUnwrap(file.tensors["base"]?.dataOffsets)
            XCTAssertEqual(file.tensors["columns"]?.dataOffsets, base.lowerBound + 4..<base.lowerBound + 4 * 23, name)
            XCTAssertEqual(file.tensors["expanded"]?.dataOffsets.count, 3 * 4, name)
            var stored = [BFloat16](repeating: BFloat16(bitPattern: 0), count: 8), twinStored = stored
            try stored.withUnsafeMutableBufferPointer { try file.read("bfloat_columns", into: $0) }
            try twinStored.withUnsafeMutableBufferPointer { try twin.read("bfloat_columns", into: $0) }
            XCTAssertEqual(stored.map(\.bitPattern), twinStored.map(\.bitPattern), name)
        }
    }

    /// A model in `pytorch_model.bin`, and a tied one in shards listed by `pytorch_model.bin.index.json` (its first
    /// shard holding the embedding and the head as views of one storage), load as the safetensors fixtures do.
    func testModelsInPyTorchFormatLoadBitwise() throws {
        for fixture in ["qwen3-tiny-a", "qwen3-tiny-b"] {
            let bin = try Checkpoint.load(directory: Fixtures.url("torch-bin/\(fixture)"))
            let original = try Checkpoint.load(directory: Fixtures.url(fixture))
            XCTAssertEqual(bin.config, original.config, fixture)
            XCTAssertEqual(bin.parameters.map(\.bitPattern), original.parameters.map(\.bitPattern), fixture)
        }
        let shard = try TorchCheckpoint.read(contentsOf: Fixtures.url("torch-bin/qwen3-tiny-b/pytorch_model-00001-of-00002.bin"))
        XCTAssertEqual(shard.tensors["lm_head.weight"]?.dataOffsets, shard.tensors["model.embed_tokens.weight"]?.dataOffsets)
    }

    /// `holdsWeights` recognises the files transformers does: `model.safetensors`, `pytorch_model.bin`, or either's index
    /// of shards alone; an adapter's or a config's directory holds none.
    func testPyTorchModelDirectoriesHoldWeights() throws {
        for fixture in ["qwen3-tiny-a", "qwen3-tiny-b", "torch-bin/qwen3-tiny-a", "torch-bin/qwen3-tiny-b"] {
            XCTAssertTrue(Checkpoint.holdsWeights(Fixtures.url(fixture)), fixture)
        }
        for fixture in ["lora-peft-a", "torch-bin/lora-peft-a"] {
            XCTAssertFalse(Checkpoint.holdsWeights(Fixtures.url(fixture)), fixture)
        }
        XCTAssertFalse(Checkpoint.holdsWeights(directory))
        for name in [Checkpoint.pytorchIndexFileName, Checkpoint.pytorchWeightsFileName] {
            let url = directory.appendingPathComponent(name)
            try Data().write(to: url)
            XCTAssertTrue(Checkpoint.holdsWeights(directory), name)
            try FileManager.default.removeItem(at: url)
        }
    }

    /// A model derived from a PyTorch-format base is written as safetensors beside the base's other files, without
    /// copies of its .bin shards or their index.
    func testDerivedModelLeavesPyTorchWeightsBehind() throws {
        let base = Fixtures.url("torch-bin/qwen3-tiny-b")
        let checkpoint = try Checkpoint.load(directory: base)
        let out = directory.appendingPathComponent("merged")
        try checkpoint.save(to: out, besideFilesOf: base)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted(),
                       [Checkpoint.configFileName, Checkpoint.generationConfigFileName, Checkpoint.weightsFileName])
        XCTAssertEqual(try Checkpoint.load(directory: out).parameters.map(\.bitPattern), checkpoint.parameters.map(\.bitPattern))
    }

    /// PEFT's `adapter_model.bin` of the `lora-peft-a` adapter loads as its safetensors does and gives PEFT's logits.
    func testPyTorchAdapterMatchesSafetensorsAndPEFT() throws {
        let base = try Checkpoint.load(directory: Fixtures.url("torch-bin/qwen3-tiny-a"))
        let adapter = try PEFTAdapterFormat.load(directory: Fixtures.url("torch-bin/lora-peft-a"), model: base.config)
        let original = try PEFTAdapterFormat.load(directory: Fixtures.url("lora-peft-a"), model: base.config)
        XCTAssertEqual(adapter.config, original.config)
        XCTAssertEqual(adapter.entries, original.entries)
        XCTAssertEqual(adapter.parameterValues.map(\.bitPattern), original.parameterValues.map(\.bitPattern))

        let reference = try ModelReference.load("lora-peft-a")
        let model = try Qwen3Model(config: base.config, parameters: base.parameters)
        try model.attach(adapter)
        XCTAssertLessThan(reference.maxLogitError(try model.logits(for: reference.inputIDs)), 1e-4)
        let merged = try Checkpoint.loadForInference(directory: Fixtures.url("torch-bin/qwen3-tiny-a"), adapter: Fixtures.url("torch-bin/lora-peft-a"))
        XCTAssertLessThan(reference.maxLogitError(try merged.logits(for: reference.inputIDs)), 1e-4)
    }

    /// Safetensors are read when both formats are present (the .bin here is not even a ZIP archive).
    func testSafetensorsArePreferred() throws {
        for name in [PEFTAdapterFormat.configFileName, PEFTAdapterFormat.weightsFileName] {
            try FileManager.default.copyItem(at: Fixtures.url("lora-peft-a/\(name)"), to: directory.appendingPathComponent(name))
        }
        try Data("not a zip".utf8).write(to: directory.appendingPathComponent(PEFTAdapterFormat.pytorchWeightsFileName))
        let config = try Checkpoint.load(directory: Fixtures.url("qwen3-tiny-a")).config
        XCTAssertNoThrow(try PEFTAdapterFormat.load(directory: directory, model: config))
        try FileManager.default.removeItem(at: directory.appendingPathComponent(PEFTAdapterFormat.weightsFileName))
        assertInputError(try PEFTAdapterFormat.load(directory: directory, model: config),
                         mentions: [PEFTAdapterFormat.pytorchWeightsFileName, "too short for a ZIP archive"])
    }

    /// The adapter's checks apply to a .bin as to safetensors, naming the .bin.
    func testPyTorchAdapterIsCheckedAgainstItsConfig() throws {
        for name in [PEFTAdapterFormat.configFileName, PEFTAdapterFormat.pytorchWeightsFileName] {
            try FileManager.default.copyItem(at: Fixtures.url("torch-bin/lora-peft-a/\(name)"), to: directory.appendingPathComponent(name))
        }
        let url = directory.appendingPathComponent(PEFTAdapterFormat.configFileName)
        var object = try JSONValue.parse(Data(contentsOf: url)).objectValue!
        object["target_modules"] = .array([.string("q_proj")])
        try JSONValue.object(object).serialized().write(to: url, atomically: true, encoding: .utf8)
        let config = try Checkpoint.load(directory: Fixtures.url("qwen3-tiny-a")).config
        assertInputError(try PEFTAdapterFormat.load(directory: directory, model: config),
                         mentions: [directory.appendingPathComponent(PEFTAdapterFormat.pytorchWeightsFileName).path, "unexpected tensor"])
    }

    // MARK: Crafted archives

    /// `entries` written as a torch.save file, then read.
    private func read(_ archive: StoredZip) throws -> Safetensors {
        let url = directory.appendingPathComponent("crafted.bin")
        try archive.data.write(to: url)
        return try TorchCheckpoint.read(contentsOf: url)
    }

    private func assertRefused(_ archive: StoredZip, _ mentions: String..., line: UInt = #line) {
        assertInputError(try read(archive), mentions: [directory.appendingPathComponent("crafted.bin").path] + mentions, line: line)
    }

    private func pickle(_ body: [UInt8]) -> StoredZip {
        StoredZip(entries: [("archive/data.pkl", PickleBytes.proto2 + body + PickleBytes.stop)])
    }

    /// A state dict `{"t": tensor}` whose tensor has `size`, `stride` and storage `offset` over a storage of the floats
    /// 0, 1, …, `count` - 1, pickled as torch.save does.
    private func tensorArchive(count: Int, offset: Int, size: [Int], stride: [Int]) -> StoredZip {
        func integers(_ values: [Int]) -> [UInt8] { PickleBytes.op("(") + values.flatMap(PickleBytes.integer) + PickleBytes.op("t") }
        let storage = PickleBytes.op("(") + PickleBytes.string("storage") + PickleBytes.global("torch", "FloatStorage")
            + PickleBytes.string("0") + PickleBytes.string("cpu") + PickleBytes.integer(count) + PickleBytes.op("tQ")
        let tensor = PickleBytes.global("torch._utils", "_rebuild_tensor_v2") + PickleBytes.op("(") + storage + PickleBytes.integer(offset)
            + integers(size) + integers(stride) + [0x89] + PickleBytes.global("collections", "OrderedDict") + PickleBytes.op(")R")
            + PickleBytes.op("tR")
        let body = PickleBytes.op("}") + PickleBytes.string("t") + tensor + PickleBytes.op("s")
        let data = (0..<count).flatMap { littleEndianBytes(Float($0).bitPattern) }
        return StoredZip(entries: [("archive/data.pkl", PickleBytes.proto2 + body + PickleBytes.stop), ("archive/data/0", data)])
    }

    /// Strided views are gathered by their strides (a closed form here: element (i, j) of size [2, 3], stride [1, 2] at
    /// offset 1 is storage element 1 + i + 2j); one that reaches past its storage, or has a negative stride, is refused.
    func testStridedViewsAreGatheredAndChecked() throws {
        let file = try read(tensorArchive(count: 7, offset: 1, size: [2, 3], stride: [1, 2]))
        XCTAssertEqual(try file.floats("t"), [1, 3, 5, 2, 4, 6])
        XCTAssertEqual(try read(tensorArchive(count: 3, offset: 0, size: [2, 2, 3], stride: [0, 0, 1])).floats("t"),
                       [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2])
        assertRefused(tensorArchive(count: 6, offset: 1, size: [2, 3], stride: [1, 2]),
                      "tensor 't' (size [2, 3], stride [1, 2], storage offset 1) runs past the end of its storage '0' of 6 elements")
        assertRefused(tensorArchive(count: 6, offset: 5, size: [2, 3], stride: [-1, 2]), "has a negative stride")
        assertRefused(tensorArchive(count: 6, offset: 0, size: [3, 3], stride: [1 << 62, 1]), "spans more elements than a 64-bit size")
    }

    /// A pickle calling `os.system` (or any other global a state dict does not use) is refused by name, never run.
    func testForbiddenGlobalsAreRefused() throws {
        let marker = directory.appendingPathComponent("ran")
        for (module, name) in [("os", "system"), ("builtins", "eval"), ("posix", "system"), ("torch", "load"), ("collections", "defaultdict")] {
            let call = PickleBytes.global(module, name) + PickleBytes.string("touch \(marker.path)") + [0x85] + PickleBytes.op("R")
            assertRefused(pickle(call), "refused the global '\(module).\(name)'", "nothing in the file is imported or run")
            // Protocol 4's STACK_GLOBAL takes the module and the name from the stack.
            let stacked = PickleBytes.shortString(module) + [0x94] + PickleBytes.shortString(name) + [0x94, 0x93]
                + PickleBytes.shortString("touch \(marker.path)") + [0x85] + PickleBytes.op("R")
            assertRefused(StoredZip(entries: [("archive/data.pkl", PickleBytes.proto4 + stacked + PickleBytes.stop)]),
                          "refused the global '\(module).\(name)'")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker.path))
        // Named through a storage's persistent id as well.
        let id = PickleBytes.op("(") + PickleBytes.string("storage") + PickleBytes.global("os", "system") + PickleBytes.op("t")
        assertRefused(pickle(id + PickleBytes.op("Q")), "refused the global 'os.system'")
        // Through a model directory, the error names the weights file.
        let model = directory.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Fixtures.url("qwen3-tiny-a/config.json"), to: model.appendingPathComponent("config.json"))
        let weights = model.appendingPathComponent(Checkpoint.pytorchWeightsFileName)
        try pickle(PickleBytes.global("os", "system")).data.write(to: weights)
        assertInputError(try Checkpoint.load(directory: model), mentions: [weights.path, "os.system"])
    }

    func testUnsupportedContentIsRefused() throws {
        assertInputError(try TorchCheckpoint.read(contentsOf: Fixtures.url("torch-bin/state-dict/int64.bin")),
                         mentions: ["int64.bin", "'torch.LongStorage' is not supported", "float32, float16, bfloat16"])
        let views = try StoredZip.entries(of: Fixtures.url("torch-bin/state-dict/views.bin"))
        var compressed = StoredZip(entries: views)
        compressed.method = 8
        assertRefused(compressed, "is compressed (method 8, deflate)", "only stored entries")
        let bigEndian = StoredZip(entries: views.map { $0.name == "views/byteorder" ? ($0.name, Array("big".utf8)) : $0 })
        assertRefused(bigEndian, "views/byteorder is 'big'")
        assertRefused(StoredZip(entries: views.filter { $0.name != "views/data/0" }), "no entry 'views/data/0'")
        assertRefused(StoredZip(entries: views.filter { $0.name != "views/data.pkl" }), "0 '<archive>/data.pkl' entries")
        assertRefused(pickle(PickleBytes.op("}") + PickleBytes.string("step") + PickleBytes.op("K") + [3] + PickleBytes.op("s")),
                      "'step' holds an int, expected a tensor")
        assertRefused(pickle(PickleBytes.op("]")), "holds a list, expected a state dict")
        // torch.save's format before PyTorch 1.6 is a pickle, not an archive.
        let legacy = directory.appendingPathComponent("legacy.bin")
        try Data(PickleBytes.proto2 + [0x8A, 0x0A]).write(to: legacy)
        assertInputError(try TorchCheckpoint.read(contentsOf: legacy), mentions: [legacy.path, "legacy format"])
    }

    /// Sizes and offsets in ZIP64 extra fields (an archive over 4 GiB) are read as well.
    func testZip64ExtraFieldsAreRead() throws {
        let file = try read(StoredZip(entries: try StoredZip.entries(of: Fixtures.url("torch-bin/state-dict/views.bin")), zip64: true))
        try assertSameTensors(file, try Safetensors(contentsOf: Fixtures.url("torch-bin/state-dict/views.safetensors")))
    }

    // MARK: The unpickler

    private func unpickle(_ body: [UInt8]) throws -> PickleValue {
        try PickleReader.read(PickleBytes.proto2 + body + PickleBytes.stop, entry: "archive/data.pkl", source: "test.bin")
    }

    func testPickleIntegersAndSharedLists() throws {
        // BININT1, BININT2, BININT (-1), LONG1 of 0, 1 and 8 bytes.
        let integers: [UInt8] = [0x4B, 5, 0x4D, 0x34, 0x12, 0x4A, 0xFF, 0xFF, 0xFF, 0xFF, 0x8A, 0, 0x8A, 1, 0xFF,
                                 0x8A, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
        guard case .tuple(let items, _) = try unpickle(PickleBytes.op("(") + integers + PickleBytes.op("t")) else { return XCTFail() }
        XCTAssertEqual(items.map { value -> Int? in if case .int(let n) = value { return n } else { return nil } }, [5, 0x1234, -1, 0, -1, Int.max])
        // A memoized list appended to afterwards is the same list through BINGET (MARK ] BINPUT 0 BINGET 0 K 7 APPEND TUPLE).
        let shared = PickleBytes.op("(]q") + [0] + PickleBytes.op("h") + [0] + PickleBytes.op("K") + [7] + PickleBytes.op("at")
        guard case .tuple(let pair, _) = try unpickle(shared), case .list(let first) = pair[0], case .list(let second) = pair[1] else {
            return XCTFail()
        }
        XCTAssertTrue(first === second)
        XCTAssertEqual(first.items.count, 1)
    }

    /// Protocol 4's opcodes: a FRAME (its length only checked), SHORT_BINUNICODE, BINUNICODE8, MEMOIZE (the next memo
    /// index) read back by BINGET, and STACK_GLOBAL of an allowed global.
    func testProtocol4Opcodes() throws {
        let body = PickleBytes.shortString("collections") + [0x94] + PickleBytes.shortString("OrderedDict") + [0x94, 0x93, 0x94]
            + PickleBytes.op(")R(") + PickleBytes.shortString("é") + [0x94, 0x8D] + littleEndianBytes(UInt64(2)) + Array("bc".utf8)
            + PickleBytes.op("h") + [3] + PickleBytes.op("h") + [1] + PickleBytes.op("t")
        let frame = [0x95] + littleEndianBytes(UInt64(body.count + 1))
        let value = try PickleReader.read(PickleBytes.proto4 + frame + body + PickleBytes.stop, entry: "archive/data.pkl", source: "test.bin")
        guard case .tuple(let items, _) = value, items.count == 4, case .string("é") = items[0], case .string("bc") = items[1],
              case .string("é") = items[2], case .string("OrderedDict") = items[3] else { return XCTFail("\(value)") }
    }

    func testMalformedPicklesAreRefused() {
        let cases: [([UInt8], String)] = [
            ([0x80, 6], "pickle protocol 6; protocols 2 to 5 are supported"),
            (PickleBytes.op("K") + [1] + PickleBytes.shortString("system") + [0x93], "STACK_GLOBAL of an int and a str"),
            ([0x93], "stack is empty"),
            (PickleBytes.op("G") + [UInt8](repeating: 0, count: 8), "opcode 0x47"),
            (PickleBytes.op("R"), "stack is empty"),
            (PickleBytes.op("h") + [3], "no value memoized at 3"),
            (PickleBytes.op("t"), "no MARK"),
            (PickleBytes.global("collections", "OrderedDict") + PickleBytes.op("K") + [1] + [0x85] + PickleBytes.op("R"),
             "calling collections.OrderedDict with (an int), expected ()"),
            (PickleBytes.global("torch", "FloatStorage") + PickleBytes.op(")R"), "a storage type"),
            (PickleBytes.op("K") + [0] + PickleBytes.op("K") + [1] + PickleBytes.op("K") + [2] + PickleBytes.op("s"),
             "setting an item of an int, not a dict"),
            ([0x8A, 9] + [UInt8](repeating: 1, count: 9), "larger than 64 bits"),
            // Nesting that could exhaust the stack when freed, and lists changed once inside another value (or themselves).
            (PickleBytes.op(")") + [UInt8](repeating: 0x85, count: 40), "nested more than 32 deep"),
            (PickleBytes.op("]q") + [0, 0x85] + PickleBytes.op("h") + [0] + PickleBytes.op("K") + [1] + PickleBytes.op("a"),
             "appending to a list that is already inside another value"),
            (PickleBytes.op("]q") + [0] + PickleBytes.op("h") + [0] + PickleBytes.op("a"), "appending to a list that is already inside"),
        ]
        for (body, message) in cases {
            assertInputError(try unpickle(body), mentions: ["test.bin", "archive/data.pkl, byte", message])
        }
        assertInputError(try PickleReader.read(PickleBytes.proto2 + PickleBytes.op("N"), entry: "archive/data.pkl", source: "test.bin"),
                         mentions: ["before its STOP", "truncated"])
        // Lengths past the end: a string's, a frame's, one beyond any file.
        for opcode in [PickleBytes.op("X") + [9, 0, 0, 0, 0x61], [0x8C, 5, 0x61], [0x95] + littleEndianBytes(UInt64(100)),
                       [0x8D] + littleEndianBytes(UInt64.max)] {
            assertInputError(try PickleReader.read(PickleBytes.proto2 + opcode, entry: "archive/data.pkl", source: "test.bin"),
                             mentions: ["inside the opcode at byte 2", "truncated"])
        }
    }
}
