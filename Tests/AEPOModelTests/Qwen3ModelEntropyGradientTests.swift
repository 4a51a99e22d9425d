import AEPOCore
import AEPOModel
import XCTest

/// The entropy term's gradient through the whole model, against a central difference along a
/// random direction (in float32, so with a loose tolerance; the kernels are checked in double).
final class Qwen3ModelEntropyGradientTests: XCTestCase {
    func testEntropyWeightedGradientMatchesDirectionalDifference() throws {
        try checkDirectionalDerivative(temperature: 1)
    }

    /// The same objective on `softmax(z/T)`: the backward pass must carry the `1/T` of the tempered logits, both
    /// when the logits are kept and when backward recomputes them chunk by chunk.
    func testTemperedGradientMatchesDirectionalDifference() throws {
        try checkDirectionalDerivative(temperature: 0.6)
        try checkDirectionalDerivative(temperature: 0.6, logitRowsPerChunk: 2)
    }

    /// With activation checkpointing the backward pass differentiates layers it has just recomputed.
    func testGradientWithRecomputedActivationsMatchesDirectionalDifference() throws {
        try checkDirectionalDerivative(temperature: 1, layers: 3, recomputing: true)
    }

    private func checkDirectionalDerivative(temperature: Float, logitRowsPerChunk: Int? = nil, layers: Int = 1, recomputing: Bool = false,
                                            file: StaticString = #filePath, line: UInt = #line) throws {
        let config = Qwen3Config(vocabSize: 24, hiddenSize: 8, intermediateSize: 12, numHiddenLayers: layers,
                                 numAttentionHeads: 2, numKeyValueHeads: 1, headDim: 4, maxPositionEmbeddings: 16,
                                 initializerRange: 0.5)
        let model = try Qwen3Model(config: config, seed: 3)
        model.recomputesActivations = recomputing
        if let logitRowsPerChunk { model.logitsBudget = logitRowsPerChunk * config.vocabSize }
        let batch = TokenBatch.nextToken([[1, 5, 9, 2, 23], [4, 4, 7]])
        let a = batch.targets.indices.map { 0.3 - 0.2 * Float($0 % 3) }
        let b = batch.targets.indices.map { 0.5 + 0.1 * Float($0 % 2) }
        func objective() throws -> Double {
            let (logProbs, entropies) = try model.forward(batch, temperature: temperature)
            var total = 0.0
            for r in logProbs.indices { total += Double(a[r] * logProbs[r]) + Double(b[r] * entropies[r]) }
            return total
        }
        _ = try objective()
        model.zeroGradients()
        try model.backward(logProbWeights: a, entropyWeights: b)
        let original = model.parameterValues
        var generator = SeededGenerator(seed: 9)
        let direction = original.map { _ in Float(generator.nextGaussian()) }
        let analytic = zip(model.gradients, direction).map { Double($0) * Double($1) }.reduce(0, +)
        let h: Float = 1e-3
        for i in original.indices { model.parameters[i] = original[i] + h * direction[i] }
        let plus = try objective()
        for i in original.indices { model.parameters[i] = original[i] - h * direction[i] }
        let minus = try objective()
        let numeric = (plus - minus) / Double(2 * h)
        XCTAssertEqual(analytic, numeric, accuracy: 2e-3 * max(1, abs(numeric)), file: file, line: line)
        XCTAssertGreaterThan(abs(numeric), 0.1, file: file, line: line)
    }
}
