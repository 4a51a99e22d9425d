import AEPOCore
import AEPOModel
import XCTest

/// Packing must not leak: a batch of sequences of different lengths gives each sequence the
/// log-probs, entropies and gradients it gets alone.
final class Qwen3ModelBatchTests: XCTestCase {
    let config = Qwen3Config(vocabSize: 40, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 2,
                             numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 6, maxPositionEmbeddings: 32,
                             tieWordEmbeddings: false, initializerRange: 0.3)
    let sequences = [[3, 17, 5, 39, 0, 8, 8], [12, 4], [7, 7, 30, 2]]

    func testPackedBatchEqualsSequencesOneByOne() throws {
        let model = try Qwen3Model(config: config, seed: 42)
        let batch = TokenBatch.nextToken(sequences)
        let weights = batch.targets.indices.map { Float($0 % 3) - 1.5 }
        let entropyWeights = batch.targets.indices.map { 0.1 * Float($0 % 4) }
        let (logProbs, entropies) = try model.forward(batch)
        model.zeroGradients()
        try model.backward(logProbWeights: weights, entropyWeights: entropyWeights)
        let batchGradients = Array(model.gradients)

        model.zeroGradients()
        var offset = 0
        for sequence in sequences {
            let single = TokenBatch.nextToken([sequence])
            let range = offset..<(offset + single.targets.count)
            let (lp, h) = try model.forward(single)
            for (i, r) in range.enumerated() {
                XCTAssertEqual(lp[i], logProbs[r], accuracy: 1e-5)
                XCTAssertEqual(h[i], entropies[r], accuracy: 1e-5)
            }
            try model.backward(logProbWeights: Array(weights[range]), entropyWeights: Array(entropyWeights[range]))
            offset = range.upperBound
        }
        let worst = zip(batchGradients, model.gradients).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(worst, 1e-5)
        XCTAssertGreaterThan(batchGradients.map(abs).max()!, 1e-2)
    }

    /// The training forward's log-probs and entropies agree with the full logits (computed in double).
    func testLogProbsAndEntropiesMatchFullLogits() throws {
        let model = try Qwen3Model(config: config, seed: 7)
        let batch = TokenBatch(sequences: sequences, targets: [
            .init(sequence: 0, position: 6, token: 11), .init(sequence: 1, position: 0, token: 39),
            .init(sequence: 2, position: 3, token: 0),
        ])
        let (logProbs, entropies) = try model.forward(batch)
        let logits = try model.logits(for: sequences)
        for (r, target) in batch.targets.enumerated() {
            let z = logits[target.sequence][target.position].map(Double.init)
            let m = z.max()!
            let logZ = m + log(z.map { exp($0 - m) }.reduce(0, +))
            let entropy = -z.map { exp($0 - logZ) * ($0 - logZ) }.reduce(0, +)
            XCTAssertEqual(Double(logProbs[r]), z[target.token] - logZ, accuracy: 1e-5)
            XCTAssertEqual(Double(entropies[r]), entropy, accuracy: 1e-5)
        }
    }

    /// Random initialisation as transformers: norm weights 1, others with standard deviation initializer_range.
    func testRandomInitialisationIsSeededWithConfiguredSpread() throws {
        let a = try Qwen3Model(config: config, seed: 1), b = try Qwen3Model(config: config, seed: 1)
        XCTAssertEqual(a.parameterValues, b.parameterValues)
        let norm = a.layout["model.layers.1.post_attention_layernorm.weight"]!
        XCTAssertEqual(Array(a.parameters[norm.offset..<(norm.offset + norm.count)]), [Float](repeating: 1, count: norm.count))
        let embedding = a.layout["model.embed_tokens.weight"]!
        let values = a.parameters[embedding.offset..<(embedding.offset + embedding.count)].map(Double.init)
        let std = (values.map { $0 * $0 }.reduce(0, +) / Double(values.count)).squareRoot()
        XCTAssertEqual(std, 0.3, accuracy: 0.03)
    }
}

extension Qwen3ModelBatchTests {
    func testValidationNamesTheOffendingTokenOrTarget() throws {
        func field(_ batch: TokenBatch) -> String? {
            do {
                try batch.validate(for: config)
                return nil
            } catch {
                return (error as? InputError)?.field
            }
        }
        XCTAssertNil(field(.nextToken(sequences)))
        XCTAssertEqual(field(.nextToken([[1, 2], [3, 40]])), "sequences[1][1]")
        XCTAssertEqual(field(.nextToken([[-1]])), "sequences[0][0]")
        XCTAssertEqual(field(TokenBatch(sequences: [[1, 2]], targets: [.init(sequence: 0, position: 2, token: 1)])), "targets[0]")
        XCTAssertEqual(field(TokenBatch(sequences: [[1, 2]], targets: [.init(sequence: 0, position: 1, token: 40)])), "targets[0]")
        XCTAssertEqual(field(.nextToken([[Int](repeating: 1, count: 33)])), "sequences[0]")
    }
}
