import AEPOCore
@testable import AEPOModel
import XCTest

/// A Qwen3 model with a LoRA adapter: gradients of A and B (through every adapted module, the fused q|k|v slices
/// included) against central differences, the base's outputs exactly with B = 0, frozen base weights, and the merged
/// weights computing what the adapter computes (the engine's unmerged adapter: `EngineAdapterTests`).
final class LoRAModelTests: XCTestCase {
    let config = Qwen3Config(vocabSize: 24, hiddenSize: 8, intermediateSize: 12, numHiddenLayers: 2, numAttentionHeads: 2,
                             numKeyValueHeads: 1, headDim: 4, maxPositionEmbeddings: 64, initializerRange: 0.5)
    let batch = TokenBatch.nextToken([[1, 5, 9, 2, 23], [4, 4, 7]])

    /// A rank-3 adapter on `targets` with A as PEFT initialises it and, unless `zeroB`, a random B.
    func adapter(_ targets: [LoRATarget] = LoRATarget.allCases, dropout: Double = 0, zeroB: Bool = false) throws -> LoRAAdapter {
        let adapter = try LoRAAdapter(config: LoRAConfig(rank: 3, alpha: 6, targets: targets, dropout: dropout), model: config, seed: 4)
        var generator = SeededGenerator(seed: 8)
        for entry in adapter.entries where entry.name.contains("lora_B") && !zeroB {
            for i in entry.offset..<(entry.offset + entry.count) { adapter.parameters[i] = Float(generator.nextGaussian()) * 0.3 }
        }
        return adapter
    }

    func model(_ adapter: LoRAAdapter? = nil) throws -> Qwen3Model {
        let model = try Qwen3Model(config: config, seed: 3)
        if let adapter { try model.attach(adapter) }
        return model
    }

    func testZeroBGivesExactlyTheBaseModel() throws {
        let base = try model(), adapted = try model(adapter(zeroB: true))
        XCTAssertEqual(try adapted.logits(for: batch.sequences), try base.logits(for: batch.sequences))
        let (baseLogProbs, baseEntropies) = try base.forward(batch)
        let (logProbs, entropies) = try adapted.forward(batch, dropoutSeed: 5)
        XCTAssertEqual(logProbs, baseLogProbs)
        XCTAssertEqual(entropies, baseEntropies)
        XCTAssertNotEqual(try model(adapter()).forward(batch).logProbs, baseLogProbs, "a random B changes the model")
    }

    func testGradientsOfAAndBMatchCentralDifferences() throws {
        for targets in [LoRATarget.allCases, [.query, .value, .down], [.key], [.output, .gate, .up]] {
            try checkGradients(adapter(targets), matrices: ["lora_A", "lora_B"])
            try checkGradients(adapter(targets), matrices: ["lora_A"])
            try checkGradients(adapter(targets), matrices: ["lora_B"])
        }
    }

    /// With dropout the backward pass regenerates the forward pass's masks: the gradient is that of the pass with
    /// those masks (the same seed in every evaluation of the difference).
    func testGradientsWithDropoutMatchCentralDifferences() throws {
        try checkGradients(adapter(dropout: 0.3), matrices: ["lora_A", "lora_B"], dropoutSeed: 11)
        let adapted = try model(adapter(dropout: 0.3))
        XCTAssertEqual(try adapted.forward(batch, dropoutSeed: 11).logProbs, try adapted.forward(batch, dropoutSeed: 11).logProbs)
        XCTAssertNotEqual(try adapted.forward(batch, dropoutSeed: 11).logProbs, try adapted.forward(batch).logProbs)
    }

    /// With logits in chunks and no entropy term, the forward pass computes the frozen LM head's part of the backward
    /// pass (`preparingLogProbGradient`): the gradients against central differences, at T = 1 and at a tempered T.
    func testPreparedLMHeadGradientsMatchCentralDifferences() throws {
        for temperature: Float in [1, 0.7] {
            try checkGradients(adapter(), matrices: ["lora_A", "lora_B"], logitRowsPerChunk: 2, temperature: temperature,
                               entropy: false)
        }
    }

    /// The prepared LM head gives the gradients of the recomputed one (to rounding), and a backward pass with entropy
    /// weights after a prepared forward pass recomputes the logits: the same bits as without preparing.
    func testPreparedLMHeadAgreesWithRecomputedOne() throws {
        let a = batch.targets.indices.map { 0.3 - 0.2 * Float($0 % 3) }
        let b = batch.targets.indices.map { 0.5 + 0.1 * Float($0 % 2) }
        func gradients(preparing: Bool, entropyWeights: [Float]?, rowsPerChunk: Int = 2) throws -> [Float] {
            let model = try model(adapter())
            model.logitsBudget = rowsPerChunk * config.vocabSize
            _ = try model.forward(batch, temperature: 0.8, preparingLogProbGradient: preparing)
            XCTAssertEqual(model.preparedHeadGradients, preparing && rowsPerChunk < batch.targets.count)
            try model.allocateGradients()
            model.zeroGradients()
            try model.backward(logProbWeights: a, entropyWeights: entropyWeights)
            return Array(model.trainableGradients)
        }
        let recomputed = try gradients(preparing: false, entropyWeights: nil)
        let prepared = try gradients(preparing: true, entropyWeights: nil)
        let scale = recomputed.map(abs).max()!
        XCTAssertGreaterThan(scale, 0.01)
        XCTAssertLessThan(zip(recomputed, prepared).map { abs($0 - $1) }.max()!, 1e-5 * scale)
        XCTAssertEqual(try gradients(preparing: true, entropyWeights: b), try gradients(preparing: false, entropyWeights: b))
        XCTAssertEqual(try gradients(preparing: true, entropyWeights: nil, rowsPerChunk: 64),
                       try gradients(preparing: false, entropyWeights: nil, rowsPerChunk: 64), "kept logits: nothing to prepare")
    }

    /// `Σ a·log p + b·H` (or, without `entropy`, `Σ a·log p`) at temperature `temperature`, differentiated along a random
    /// direction over the entries of `matrices`, against central differences in float32 (as
    /// `Qwen3ModelEntropyGradientTests`); with `logitRowsPerChunk`, logits in chunks of that many rows.
    private func checkGradients(_ adapter: LoRAAdapter, matrices: [String], dropoutSeed: UInt64? = nil,
                                logitRowsPerChunk: Int? = nil, temperature: Float = 1, entropy: Bool = true,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        let model = try model(adapter)
        if let logitRowsPerChunk { model.logitsBudget = logitRowsPerChunk * config.vocabSize }
        let base = model.parameterValues
        let a = batch.targets.indices.map { 0.3 - 0.2 * Float($0 % 3) }
        let b = batch.targets.indices.map { entropy ? 0.5 + 0.1 * Float($0 % 2) : 0 }
        func objective() throws -> Double {
            let (logProbs, entropies) = try model.forward(batch, temperature: temperature, dropoutSeed: dropoutSeed,
                                                          preparingLogProbGradient: !entropy)
            return logProbs.indices.reduce(0.0) { $0 + Double(a[$1] * logProbs[$1]) + Double(b[$1] * entropies[$1]) }
        }
        _ = try objective()
        XCTAssertEqual(model.preparedHeadGradients, !entropy && logitRowsPerChunk.map { $0 < batch.targets.count } == true,
                       file: file, line: line)
        try model.allocateGradients()
        model.zeroGradients()
        try model.backward(logProbWeights: a, entropyWeights: entropy ? b : nil)
        XCTAssertEqual(model.gradients.count, 0, "no gradient buffer for the frozen base", file: file, line: line)
        XCTAssertEqual(model.trainableGradients.count, adapter.parameters.count, file: file, line: line)
        var generator = SeededGenerator(seed: 9)
        var direction = [Float](repeating: 0, count: adapter.parameters.count)
        for entry in adapter.entries where matrices.contains(where: entry.name.contains) {
            for i in entry.offset..<(entry.offset + entry.count) { direction[i] = Float(generator.nextGaussian()) }
        }
        let analytic = zip(adapter.gradients, direction).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let original = Array(adapter.parameters)
        func difference(_ h: Float) throws -> Double {
            for i in original.indices { adapter.parameters[i] = original[i] + h * direction[i] }
            let plus = try objective()
            for i in original.indices { adapter.parameters[i] = original[i] - h * direction[i] }
            let minus = try objective()
            for i in original.indices { adapter.parameters[i] = original[i] }
            return (plus - minus) / Double(2 * h)
        }
        // Richardson's extrapolation of two central differences cancels their h² error.
        let numeric = (4 * (try difference(5e-4)) - (try difference(1e-3))) / 3
        XCTAssertEqual(analytic, numeric, accuracy: 2e-3 * max(1, abs(numeric)), "\(adapter.config.targets) \(matrices)", file: file, line: line)
        XCTAssertGreaterThan(abs(numeric), 0.05, file: file, line: line)
        XCTAssertTrue(zip(model.parameterValues, base).allSatisfy { $0.bitPattern == $1.bitPattern }, "the base is untouched",
                      file: file, line: line)
    }

    func testMergedWeightsComputeTheAdaptedModel() throws {
        let adapter = try adapter()
        let adapted = try model(adapter)
        var merged = try model().parameterValues
        merged.withUnsafeMutableBufferPointer { adapter.merge(into: $0) }
        let plain = try Qwen3Model(config: config, parameters: merged)
        let sequences = batch.sequences
        XCTAssertLessThan(maxDifference(try plain.logits(for: sequences), try adapted.logits(for: sequences)), 1e-5)
        XCTAssertGreaterThan(maxDifference(try model().logits(for: sequences), try adapted.logits(for: sequences)), 1e-2)
    }

    func testWithoutAdapterGivesTheBase() throws {
        let adapted = try model(adapter())
        let base = try model()
        XCTAssertEqual(try adapted.withoutAdapter { try adapted.forward(batch).logProbs }, try base.forward(batch).logProbs)
        XCTAssertNotEqual(try adapted.forward(batch).logProbs, try base.forward(batch).logProbs)
    }

    func testAdapterOfAnotherShapeIsRefused() throws {
        var other = config
        other.hiddenSize = 16
        let adapter = try LoRAAdapter(config: LoRAConfig(rank: 2, alpha: 2, targets: [.query]), model: other, seed: 1)
        XCTAssertThrowsError(try model().attach(adapter)) { error in
            XCTAssertTrue("\(error)".contains("another shape"), "\(error)")
        }
    }

    /// PEFT's initialisation: A uniform in ±1/√in (not all equal), B zero.
    func testInitialisationFollowsPEFT() throws {
        let adapter = try adapter(zeroB: true)
        for entry in adapter.entries {
            let values = adapter.parameterValues[entry.offset..<(entry.offset + entry.count)]
            if entry.name.contains("lora_B") {
                XCTAssertTrue(values.allSatisfy { $0 == 0 }, entry.name)
            } else {
                let bound = 1 / Float(entry.shape[1]).squareRoot()
                XCTAssertTrue(values.allSatisfy { abs($0) <= bound }, entry.name)
                XCTAssertGreaterThan(Set(values).count, entry.count / 2, entry.name)
            }
        }
        XCTAssertEqual(adapter.entries.first?.name, "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight")
        XCTAssertEqual(adapter.entries.first?.shape, [3, 8])
    }

    private func maxDifference(_ a: [[[Float]]], _ b: [[[Float]]]) -> Float {
        zip(a.joined().joined(), b.joined().joined()).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }
}
