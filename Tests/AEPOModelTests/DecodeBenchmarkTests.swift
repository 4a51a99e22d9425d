import AEPOCore
import AEPOModel
import XCTest

final class DecodeBenchmarkTests: XCTestCase {
    func testRunsTheWholeWorkloadAndFreesTheCache() throws {
        let config = Qwen3Config(vocabSize: 50, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 2,
                                 numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 4, maxPositionEmbeddings: 64)
        var generator = SeededGenerator(seed: 3)
        let parameters = (0..<ParameterLayout(config: config).totalCount).map { _ in Float(generator.nextGaussian()) * 0.5 }
        let result = try DecodeBenchmark.run(config: config, parameters: parameters, sequences: 3, promptLength: 5,
                                             newTokens: 7, repetitions: 3)
        XCTAssertEqual(result.tokens, 21)
        XCTAssertEqual(result.seconds.count, 3)
        XCTAssertGreaterThan(result.tokensPerSecond, 0)
        XCTAssertThrowsError(try DecodeBenchmark.run(config: config, parameters: parameters, promptLength: 40, newTokens: 30,
                                                     repetitions: 1), "past max_position_embeddings")
    }
}
