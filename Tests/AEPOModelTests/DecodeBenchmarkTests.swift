import AEPOCore
import AEPOModel
import XCTest

final class DecodeBenchmarkTests: XCTestCase {
    func testRunsTheWholeWorkloadAndFreesTheCache() throws {
        let config = Qwen3Config(vocabSize: 50, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 2,
                                 numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 4, maxPositionEmbeddings: 64)
        let model = try Qwen3Model(config: config, seed: 3)
        let result = try DecodeBenchmark.run(model: model, sequences: 3, promptLength: 5,
                                             newTokens: 7, repetitions: 3)
        XCTAssertEqual(result.tokens, 21)
        XCTAssertEqual(result.seconds.count, 3)
        XCTAssertGreaterThan(result.tokensPerSecond, 0)
        XCTAssertGreaterThan(result.tokensPerCPUSecond, 0)
        XCTAssertThrowsError(try DecodeBenchmark.run(model: model, promptLength: 40, newTokens: 30,
                                                     repetitions: 1), "past max_position_embeddings")
    }

    func testAForkRecomputesNoPrefix() throws {
        let config = Qwen3Config(vocabSize: 50, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 1,
                                 numAttentionHeads: 2, numKeyValueHeads: 1, headDim: 8, maxPositionEmbeddings: 64)
        XCTAssertEqual(try DecodeBenchmark.forkRecomputedPositions(model: try Qwen3Model(config: config, seed: 1), promptLength: 21), 0)
    }
}
