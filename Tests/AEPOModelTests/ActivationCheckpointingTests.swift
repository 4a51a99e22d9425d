import AEPOCore
import AEPOModel
import XCTest

/// Activation checkpointing (`Qwen3Model.recomputesActivations`): the backward pass recomputes every layer from its
/// saved input and residual after attention and gets the same bits as from kept activations — for the whole model, with chunked logits, and for a
/// LoRA adapter with dropout — while the estimate of the saved activations shrinks to about one layer's and two rows of hidden width per layer and token.
final class ActivationCheckpointingTests: XCTestCase {
    let config = Qwen3Config(vocabSize: 24, hiddenSize: 8, intermediateSize: 12, numHiddenLayers: 3, numAttentionHeads: 2,
                             numKeyValueHeads: 1, headDim: 4, maxPositionEmbeddings: 64, initializerRange: 0.5)
    let batch = TokenBatch.nextToken([[1, 5, 9, 2, 23, 7, 7], [4, 4, 7]])

    /// Log-probs, entropies and trainable gradients of one pass of `Σ a·log p + b·H`.
    private func pass(recomputing: Bool, adapter: LoRAAdapter? = nil, logitRowsPerChunk: Int? = nil) throws -> [[UInt32]] {
        let model = try Qwen3Model(config: config, seed: 3)
        model.recomputesActivations = recomputing
        if let logitRowsPerChunk { model.logitsBudget = logitRowsPerChunk * config.vocabSize }
        if let adapter { try model.attach(adapter) }
        let a = batch.targets.indices.map { 0.3 - 0.2 * Float($0 % 3) }
        let b = batch.targets.indices.map { 0.5 + 0.1 * Float($0 % 2) }
        let (logProbs, entropies) = try model.forward(batch, dropoutSeed: 11)
        try model.allocateGradients()
        model.zeroGradients()
        try model.backward(logProbWeights: a, entropyWeights: b)
        return [logProbs, entropies, Array(model.trainableGradients)].map { $0.map(\.bitPattern) }
    }

    func testRecomputedLayersGiveTheSameBits() throws {
        XCTAssertEqual(try pass(recomputing: true), try pass(recomputing: false))
        XCTAssertEqual(try pass(recomputing: true, logitRowsPerChunk: 3), try pass(recomputing: false, logitRowsPerChunk: 3))
    }

    func testRecomputedAdapterWithDropoutGivesTheSameBits() throws {
        func adapter() throws -> LoRAAdapter {
            let adapter = try LoRAAdapter(config: LoRAConfig(rank: 2, alpha: 4, targets: LoRATarget.allCases, dropout: 0.3),
                                          model: config, seed: 4)
            for entry in adapter.entries where entry.name.contains("lora_B") {
                for i in entry.offset..<(entry.offset + entry.count) { adapter.parameters[i] = 0.1 * Float(i % 7) - 0.3 }
            }
            return adapter
        }
        let kept = try pass(recomputing: false, adapter: adapter())
        XCTAssertEqual(try pass(recomputing: true, adapter: adapter()), kept)
        XCTAssertTrue(kept[2].contains { $0 != 0 }, "the adapter has gradients")
    }

    /// 28 layers of 8 × 512 tokens at Qwen3-0.6B's shape: every layer's activations (about 14 GB) against their inputs
    /// and residuals after attention (940 MB) and one layer's (under 1 GB) beside the logits of 1,024 target rows (622 MB).
    func testEstimateKeepsOneLayer() {
        let shape = Qwen3Config(vocabSize: 151_936, hiddenSize: 1024, intermediateSize: 3072, numHiddenLayers: 28, numAttentionHeads: 16,
                                numKeyValueHeads: 8, headDim: 128, maxPositionEmbeddings: 40_960, tieWordEmbeddings: true)
        func activations(recomputing: Bool) -> Double {
            var estimate = MemoryEstimate(config: shape)
            estimate.addTrainingPass(sequences: 8, positions: 512, recomputing: recomputing)
            return estimate.parts[1].bytes
        }
        XCTAssertGreaterThan(activations(recomputing: false), 14e9)
        XCTAssertLessThan(activations(recomputing: true), 2.6e9)
    }
}
