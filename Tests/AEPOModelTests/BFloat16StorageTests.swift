import AEPOCore
import AEPOModel
import AEPOTestSupport
import Foundation
import XCTest

/// A frozen model held in bfloat16 (`ParameterStorage`): conformance with transformers on the BF16 fixture, the same
/// results as float32 parameters of the same values bit for bit (training forward, LoRA gradients, decoding), half the
/// memory, frozen weights that never change, and the rule deciding the storage.
///
/// Tolerances against transformers on `qwen3-tiny-bf16` (BF16 weights): with its weights widened to float32 (float32
/// compute, which BF16 storage with float32 compute reproduces) logits within 1e-4 and loss within 1e-5 relative, as
/// for the float32 fixtures; against transformers computing in bfloat16, logits within 0.25 and loss within 1 %
/// (bfloat16 rounds every activation to 8 significant bits: the two transformers runs differ by up to 0.12 there).
final class BFloat16StorageTests: XCTestCase {
    let fixture = "qwen3-tiny-bf16"

    /// The fixture read as float32 (`Checkpoint.load`) into a trainable model, and as a frozen model.
    func models() throws -> (float32: Qwen3Model, bfloat16: Qwen3Model) {
        let checkpoint = try Checkpoint.load(directory: Fixtures.url(fixture))
        return (try Qwen3Model(config: checkpoint.config, parameters: checkpoint.parameters),
                try Checkpoint.loadFrozenModel(directory: Fixtures.url(fixture)))
    }

    func testBFloat16CheckpointMatchesTransformers() throws {
        let model = try Checkpoint.loadFrozenModel(directory: Fixtures.url(fixture))
        XCTAssertEqual(model.storage, .bfloat16)
        XCTAssertTrue(model.parameters.isEmpty)
        let reference = try ModelReference.load(fixture)
        let logits = try model.logits(for: reference.inputIDs)
        XCTAssertLessThan(reference.maxLogitError(logits), 1e-4)
        let (logProbs, _) = try model.forward(.nextToken(reference.inputIDs))
        let loss = -logProbs.map(Double.init).reduce(0, +) / Double(logProbs.count)
        XCTAssertEqual(loss, reference.loss, accuracy: 1e-5 * reference.loss)

        let bfloat16 = try JSONDecoder().decode(BFloat16Reference.self, from: Data(contentsOf: Fixtures.url("\(fixture)/expected.json")))
        let error = zip(logits.joined().joined(), bfloat16.logits.joined().joined()).map { abs(Double($0) - $1) }.max()!
        XCTAssertLessThan(error, 0.25)
        XCTAssertGreaterThan(error, 1e-3, "bfloat16 compute is not float32 compute")
        XCTAssertEqual(loss, bfloat16.loss, accuracy: 0.01 * loss)
    }

    private struct BFloat16Reference: Decodable {
        var logits: [[[Double]]]
        var loss: Double
        enum CodingKeys: String, CodingKey { case logits = "logits_bf16", loss = "loss_bf16" }
    }

    /// Few rows take the matrix-vector path, many the packed GEMM: both give float32's results bit for bit.
    func testResultsAreThoseOfFloat32ParametersBitForBit() throws {
        let (float32, bfloat16) = try models()
        XCTAssertEqual(float32.storage, .float32)
        XCTAssertEqual(bfloat16.parameterValues.map(\.bitPattern), float32.parameterValues.map(\.bitPattern))
        let reference = try ModelReference.load(fixture)
        for sequences in [reference.inputIDs, [reference.inputIDs[0]], [Array(reference.inputIDs[1].prefix(3))]] {
            XCTAssertEqual(try bfloat16.logits(for: sequences), try float32.logits(for: sequences))
            let batch = TokenBatch.nextToken(sequences)
            let (a, b) = (try bfloat16.forward(batch, temperature: 0.7), try float32.forward(batch, temperature: 0.7))
            XCTAssertEqual(a.logProbs, b.logProbs)
            XCTAssertEqual(a.entropies, b.entropies)
        }
    }

    /// Half the bytes: two per parameter, plus float32 copies of the norm weights.
    func testParametersTakeHalfTheMemory() throws {
        let (float32, bfloat16) = try models()
        let layout = float32.layout
        let vectors = layout.entries.filter { $0.shape.count == 1 }.reduce(0) { $0 + $1.count }
        XCTAssertEqual(float32.parameterBytes, 4 * layout.totalCount)
        XCTAssertEqual(bfloat16.parameterBytes, 2 * layout.totalCount + 4 * vectors)
        XCTAssertLessThan(Double(bfloat16.parameterBytes), 0.51 * Double(float32.parameterBytes))
        XCTAssertEqual(MemoryEstimate(config: float32.config, storage: .bfloat16).bytes, Double(bfloat16.parameterBytes))
        XCTAssertEqual(MemoryEstimate(config: float32.config).bytes, Double(float32.parameterBytes))
        // The engine packs bfloat16 weights in bfloat16 too.
        let (a, b) = (try InferenceEngine(model: float32), try InferenceEngine(model: bfloat16))
        XCTAssertEqual(2 * b.packedWeightBytes, a.packedWeightBytes)
    }

    /// Prefill (packed GEMM past 32 rows) and batched decoding (packed panels) give float32's logits bit for bit.
    func testDecodingMatchesFloat32BitForBit() throws {
        let (float32, bfloat16) = try models()
        let reference = try ModelReference.load(fixture)
        var logits: [[Float]] = []
        for model in [float32, bfloat16] {
            let engine = try InferenceEngine(model: model)
            let sequences = reference.inputIDs.map { _ in engine.makeSequence() }
            var out = try engine.prefill(zip(sequences, reference.inputIDs.map { Array($0.prefix(12)) }).map { ($0, $1) })
            for t in 12..<16 {
                out += try engine.decodeStep(sequences: sequences, tokens: reference.inputIDs.map { $0[t] })
            }
            logits.append(out)
        }
        XCTAssertEqual(logits[1].map(\.bitPattern), logits[0].map(\.bitPattern))
        XCTAssertGreaterThan(logits[0].count, 0)
    }

    /// A LoRA adapter trains on a bfloat16 base exactly as on a float32 base of the same values; the base never changes.
    func testLoRAOnABFloat16BaseGivesFloat32GradientsAndLeavesTheBaseUnchanged() throws {
        let (float32, bfloat16) = try models()
        let before = bfloat16.parameterValues
        let lora = LoRAConfig(rank: 2, alpha: 4, targets: LoRATarget.allCases, dropout: 0.1)
        var gradients: [[Float]] = []
        for model in [float32, bfloat16] {
            let adapter = try LoRAAdapter(config: lora, model: model.config, seed: 5)
            var generator = SeededGenerator(seed: 6)
            for entry in adapter.entries where entry.name.contains("lora_B") {
                for i in entry.offset..<(entry.offset + entry.count) { adapter.parameters[i] = Float(generator.nextGaussian()) * 0.1 }
            }
            try model.attach(adapter)
            let batch = TokenBatch.nextToken(try ModelReference.load(fixture).inputIDs)
            let (logProbs, _) = try model.forward(batch, dropoutSeed: 7)
            try model.allocateGradients()
            model.zeroGradients()
            try model.backward(logProbWeights: [Float](repeating: -1 / Float(logProbs.count), count: logProbs.count),
                               entropyWeights: [Float](repeating: 0.01, count: logProbs.count))
            gradients.append(Array(model.trainableGradients))
            // An update of the adapter (what the optimizer does) leaves the base as it was.
            for i in model.trainableParameters.indices { model.trainableParameters[i] -= 0.1 * model.trainableGradients[i] }
            _ = try model.forward(batch)
        }
        XCTAssertEqual(gradients[1].map(\.bitPattern), gradients[0].map(\.bitPattern))
        XCTAssertGreaterThan(gradients[0].map(abs).max()!, 1e-4)
        XCTAssertTrue(bfloat16.gradients.isEmpty)
        XCTAssertEqual(bfloat16.parameterValues.map(\.bitPattern), before.map(\.bitPattern))
        XCTAssertEqual(bfloat16.storage, .bfloat16)
    }

    /// The rule: frozen values bfloat16 holds exactly are held in bfloat16 (a BF16 checkpoint, or an F32 one of such values,
    /// such as a run's reference saved from a BF16 start); any other stay float32, as does every trainable model.
    func testStorageRule() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (float32, _) = try models()
        XCTAssertTrue(try Checkpoint.holdsBFloat16Only(Fixtures.url(fixture)))
        XCTAssertFalse(try Checkpoint.holdsBFloat16Only(Fixtures.url("qwen3-tiny-a")))
        // Saved as F32, the values are still bfloat16 values.
        let saved = directory.appendingPathComponent("f32")
        try Checkpoint.save(config: float32.config, parameters: float32.parameterValues, to: saved)
        XCTAssertFalse(try Checkpoint.holdsBFloat16Only(saved))
        let reloaded = try Checkpoint.loadFrozenModel(directory: saved)
        XCTAssertEqual(reloaded.storage, .bfloat16)
        XCTAssertEqual(reloaded.parameterValues, float32.parameterValues)
        // One value bfloat16 cannot hold keeps the whole model in float32.
        var values = float32.parameterValues
        values[7] += values[7] * 0x1p-12
        XCTAssertEqual(try Qwen3Model(config: float32.config, frozenParameters: values).storage, .float32)
        XCTAssertEqual(try Checkpoint.loadFrozenModel(directory: Fixtures.url("qwen3-tiny-a")).storage, .float32)
        // An adapter merged in at load makes float32 weights.
        let merged = try Checkpoint.loadForInference(directory: Fixtures.url("qwen3-tiny-a"), adapter: Fixtures.url("lora-peft-a"))
        XCTAssertEqual(merged.storage, .float32)
        XCTAssertEqual(try Checkpoint.loadForInference(directory: Fixtures.url(fixture), adapter: nil).storage, .bfloat16)
    }

    /// An adapter on a BF16 checkpoint is attached, not merged: the model stays bfloat16, and the training forward (the
    /// adapter unmerged, as PEFT computes it) and the engine (the adapter unmerged over the bfloat16 base's packed
    /// weights) compute what the float32 model with the adapter merged computes.
    func testAdapterOnABFloat16CheckpointIsAttached() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (float32, _) = try models()
        let adapter = try LoRAAdapter(config: LoRAConfig(rank: 2, alpha: 4, targets: [.query, .value, .down]), model: float32.config, seed: 9)
        var generator = SeededGenerator(seed: 10)
        for i in adapter.parameters.indices { adapter.parameters[i] = Float(generator.nextGaussian()) * 0.1 }
        let adapterURL = directory.appendingPathComponent("adapter")
        try PEFTAdapterFormat.save(adapter, to: adapterURL, baseModel: fixture)
        let attached = try Checkpoint.loadForInference(directory: Fixtures.url(fixture), adapter: adapterURL)
        XCTAssertEqual(attached.storage, .bfloat16)
        XCTAssertNotNil(attached.adapter)
        var merged = try Checkpoint.load(directory: Fixtures.url(fixture))
        try merged.mergeAdapter(at: adapterURL)
        let reference = try Qwen3Model(config: merged.config, parameters: merged.parameters)
        let sequences = try ModelReference.load(fixture).inputIDs
        func difference(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max()! }
        let expected = try reference.logits(for: sequences)
        XCTAssertLessThan(difference(Array(try attached.logits(for: sequences).joined().joined()), Array(expected.joined().joined())), 1e-5)
        XCTAssertGreaterThan(difference(Array(try float32.logits(for: sequences).joined().joined()), Array(expected.joined().joined())), 1e-2,
                             "the adapter changes the logits")
        var logits: [[Float]] = []
        for model in [reference, attached] {
            let engine = try InferenceEngine(model: model)
            logits.append(try engine.prefill(sequence: engine.makeSequence(), tokens: sequences[0]))
        }
        XCTAssertLessThan(difference(logits[1], logits[0]), 1e-5)
    }

    /// Reading straight into bfloat16 checks what reading as float32 checks.
    func testBadBFloat16CheckpointsAreRefused() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: Fixtures.url("\(fixture)/\(name)"), to: directory.appendingPathComponent(name))
        }
        // An infinite weight (0x7F80) written over the first value of the embedding.
        let url = directory.appendingPathComponent("model.safetensors")
        var bytes = try Data(contentsOf: url)
        let file = try Safetensors(contentsOf: url)
        let headerLength = Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let start = 8 + headerLength + file.tensors["model.embed_tokens.weight"]!.dataOffsets.lowerBound
        bytes[start] = 0x80
        bytes[start + 1] = 0x7F
        try bytes.write(to: url)
        assertInputError(try Checkpoint.loadFrozenModel(directory: directory), mentions: ["model.embed_tokens.weight", "finite"])
        XCTAssertEqual(try Checkpoint.loadFrozenModel(directory: directory, allowingNonFiniteWeights: true).storage, .bfloat16)
        // Memory checked before reading, at bfloat16's size.
        let limit = MemoryLimit(bytes: 1000, source: "a test limit")
        assertInputError(try Checkpoint.loadFrozenModel(directory: directory, memoryLimit: limit), mentions: ["bfloat16", "a test limit"])
    }
}
