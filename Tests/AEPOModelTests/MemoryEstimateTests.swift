import AEPOCore
import AEPOKernels
import XCTest

@testable import AEPOModel

/// The memory estimate against a model small enough to count by hand, and the error it gives above a limit.
final class MemoryEstimateTests: XCTestCase {
    /// vocab 10, hidden 4, intermediate 6, one layer of 2 heads (1 key-value head) of width 2, tied head.
    private let config = Qwen3Config(vocabSize: 10, hiddenSize: 4, intermediateSize: 6, numHiddenLayers: 1,
                                     numAttentionHeads: 2, numKeyValueHeads: 1, headDim: 2, maxPositionEmbeddings: 16)

    func testPartsMatchACountByHand() {
        var estimate = MemoryEstimate(config: config)
        // Embedding 10·4; the layer: norms 4 + 4, q 4·4, k and v 2·4 each, q_norm and k_norm 2 each, o 4·4,
        // gate, up and down 6·4 each; final norm 4: 40 + 132 + 4 = 176 floats.
        XCTAssertEqual(estimate.parts, [.init(name: "parameters", bytes: 176 * 4)])
        estimate.addParameterSized("gradients")
        estimate.addParameterSized("AdamW's moments", copies: 2)
        XCTAssertEqual(estimate.bytes, 4 * 176 * 4)

        // Two sequences of three tokens, 6 rows and 6 targets. Forward, per layer: 6·(4·4 + 3·4 + 3·2 + 3·6) = 312,
        // 6·(2 + 2 + 1) = 30 norms' rstd, 2·2·3·3 = 36 attention probabilities; then 6·(2·4 + 1) = 54, 6·(4 + 3) = 42
        // and 6·10 = 60 logits: 534. Backward scratch: 6·(3·4 + 2·4 + 2 + 8 + 3·6) = 288, 2·1·3·3 = 18, 6·4 = 24: 330.
        estimate.addTrainingPass(sequences: 2, positions: 3)
        XCTAssertEqual(estimate.parts.last, .init(name: "activations of 2 × 3 tokens", bytes: (534 + 330) * 4))

        // An engine: packed weights ≈ the parameters; KV cache 2·3 positions · 1 layer · 2 · 2 floats; a 3-row
        // workspace of 2·4 + 8 + 4 + 3·6 + 3 = 41 floats a row; each thread's attention scratch, 2 heads × 3 positions
        // padded to a block of 16, counted twice (it grows by doubling).
        var engine = MemoryEstimate(config: config)
        engine.addInferenceEngine(sequences: 2, positions: 3)
        XCTAssertEqual(engine.parts.map(\.bytes), [704, 704, 96, 492, Double(2 * Parallel.threadCount * 2 * 16 * 4)])
        XCTAssertEqual(engine.parts.last?.name, "attention scratch")
        // A prefill of 32 × 1,024 tokens runs in passes of 2,048 rows, or of the engine's pass size: the workspace holds one.
        func workspace(_ estimate: MemoryEstimate) -> Double? { estimate.parts.first { $0.name == "decoding workspace" }?.bytes }
        var chunked = MemoryEstimate(config: config)
        chunked.addInferenceEngine(sequences: 32, positions: 1_024, rows: 32 * 1_024)
        XCTAssertEqual(workspace(chunked), Double(InferenceEngine.defaultMaxTokensPerPass * 41 * 4))
        var small = MemoryEstimate(config: config)
        small.addInferenceEngine(sequences: 32, positions: 1_024, rows: 32 * 1_024, maxTokensPerPass: 100)
        XCTAssertEqual(workspace(small), Double(100 * 41 * 4))
        XCTAssertEqual(small.parts.last?.bytes, Double(2 * Parallel.threadCount * 2 * 1_024 * 4))

        // In int8 a position's key and value rows (one head of 2) take 2 bytes and a 4-byte scale each.
        var quantised = MemoryEstimate(config: config)
        quantised.addInferenceEngine(sequences: 2, positions: 3, kvCacheDataType: .int8)
        XCTAssertEqual(quantised.parts[2], .init(name: "KV cache of 2 × 3 tokens in int8", bytes: 6 * 2 * (2 + 4)))

        // A rank-2 adapter of q_proj on bfloat16 parameters (176 · 2 bytes, and the 16 norm floats' copies: 416): the
        // adapter 2 · (4 + 4) floats; the packed weights stay bfloat16, the parameters' size; the workspace holds
        // x · Aᵀ, 2 more floats a row.
        var adapted = MemoryEstimate(config: config, adapter: LoRAConfig(rank: 2, alpha: 4, targets: [.query]), storage: .bfloat16)
        adapted.addInferenceEngine(sequences: 2, positions: 3)
        XCTAssertEqual(adapted.parts.map(\.bytes), [416, 64, 416, 96, 3 * 43 * 4, Double(2 * Parallel.threadCount * 2 * 16 * 4)])
    }

    /// The logits are held 2²⁴ floats at a time, or 1,024 rows of a larger vocabulary, by the model and its estimate.
    func testLogitsChunksHoldAtLeast1024RowsOfALargeVocabulary() throws {
        XCTAssertEqual(Qwen3Model.defaultLogitsBudget(vocabulary: 640), 1 << 24)
        XCTAssertEqual(Qwen3Model.defaultLogitsBudget(vocabulary: 151_936), 1_024 * 151_936)
        var large = config
        large.vocabSize = 32_768
        XCTAssertEqual(try Qwen3Model(config: large, seed: 1).logitsBudget, 1_024 * 32_768)
        // 2,048 targets: the estimate's logits are one chunk of 1,024 rows, not 512 (2²⁴ / 32,768).
        func logitFloats(_ vocabulary: Int) -> Double {
            var c = config
            c.vocabSize = vocabulary
            var estimate = MemoryEstimate(config: c)
            estimate.addTrainingPass(sequences: 2, positions: 1_024)
            return estimate.parts.last!.bytes / 4
        }
        // One more word of vocabulary adds one logit to each row of the chunk held: 1,024 floats (512 under 2²⁴ alone).
        XCTAssertEqual(logitFloats(32_769) - logitFloats(32_768), 1_024)
    }

    func testANeedAboveTheLimitIsAnErrorWithTheFigures() throws {
        var estimate = MemoryEstimate(config: config)
        estimate.addParameterSized("gradients")
        let limit = MemoryLimit(bytes: 1000, source: "a test limit")
        XCTAssertNoThrow(try MemoryEstimate(config: config).check(against: limit, subject: "x", source: "s", advice: "a"))
        XCTAssertThrowsError(try estimate.check(against: limit, subject: "this run", source: "config", field: "model.hidden_size",
                                                advice: "lower model.hidden_size")) { error in
            XCTAssertEqual(error as? InputError, InputError(
                "this run needs about 1.4 KiB (parameters 704 B, gradients 704 B), more than the 1000 B (a test limit) this "
                    + "process can have; lower model.hidden_size", source: "config", field: "model.hidden_size"))
        }
    }
}
