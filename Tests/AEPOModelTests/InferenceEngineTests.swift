import AEPOCore
import AEPOModel
import AEPOTestSupport
import Foundation
import XCTest

/// The engine against transformers' logits (`expected.json`: `logits[b][t]` after token `t`).
final class InferenceEngineTests: XCTestCase {
    private struct Reference {
        var engine: InferenceEngine
        var inputIDs: [[Int]]
        var logits: [[[Float]]]
    }

    /// Loads a fixture; a block size of 4 makes short sequences span several blocks.
    private func load(_ name: String, blockSize: Int = 4) throws -> Reference {
        let directory = Fixtures.url(name)
        let checkpoint = try Checkpoint.load(directory: directory)
        let data = try Data(contentsOf: directory.appendingPathComponent("expected.json"))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let ids = try XCTUnwrap(json["input_ids"] as? [[Int]])
        let logits = try XCTUnwrap(json["logits"] as? [[[Double]]]).map { $0.map { $0.map(Float.init) } }
        let engine = try InferenceEngine(model: try Qwen3Model(config: checkpoint.config, parameters: checkpoint.parameters), blockSize: blockSize)
        return Reference(engine: engine, inputIDs: ids, logits: logits)
    }

    private func maxDifference(_ a: ArraySlice<Float>, _ b: [Float]) -> Float {
        XCTAssertEqual(a.count, b.count)
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    private func row(_ logits: [Float], _ i: Int, _ v: Int) -> ArraySlice<Float> {
        logits[i * v ..< (i + 1) * v]
    }

    /// Prefill a prompt, then decode the rest token by token: every position within 1e-4.
    func testPrefillThenDecodeReproducesTransformers() throws {
        for name in ["qwen3-tiny-a", "qwen3-tiny-b"] {
          for blockSize in [4, 16] {
            let ref = try load(name, blockSize: blockSize)
            let v = ref.engine.config.vocabSize
            var worst: Float = 0
            for (b, ids) in ref.inputIDs.enumerated() {
                let s = ref.engine.makeSequence()
                let prompt = 5 + b
                var logits = try ref.engine.prefill(sequence: s, tokens: Array(ids[..<prompt]))
                worst = max(worst, maxDifference(logits[...], ref.logits[b][prompt - 1]))
                for t in prompt..<ids.count {
                    logits = try ref.engine.decodeStep(sequences: [s], tokens: [ids[t]])
                    worst = max(worst, maxDifference(row(logits, 0, v), ref.logits[b][t]))
                }
                XCTAssertEqual(ref.engine.length(of: s), ids.count)
                ref.engine.release(s)
            }
            XCTAssertLessThan(worst, 1e-4, "\(name), block size \(blockSize)")
            XCTAssertEqual(ref.engine.cache.blocksInUse, 0, "\(name): released sequences leave no blocks")
          }
        }
    }

    /// One batched step over sequences at different positions equals each decoded alone.
    func testBatchedDecodeEqualsOneByOne() throws {
        let ref = try load("qwen3-tiny-b")
        let e = ref.engine, v = e.config.vocabSize, ids = ref.inputIDs
        let prompts = [3, 9, 1]
        let batch = try prompts.enumerated().map { b, p in
            let s = e.makeSequence()
            _ = try e.prefill(sequence: s, tokens: Array(ids[b][..<p]))
            return s
        }
        let alone = try prompts.enumerated().map { b, p in
            let s = e.makeSequence()
            _ = try e.prefill(sequence: s, tokens: Array(ids[b][..<p]))
            return s
        }
        var worstReference: Float = 0, worstAlone: Float = 0
        for step in 0..<8 {
            let tokens = prompts.enumerated().map { b, p in ids[b][p + step] }
            let together = try e.decodeStep(sequences: batch, tokens: tokens)
            for b in prompts.indices {
                let single = try e.decodeStep(sequences: [alone[b]], tokens: [tokens[b]])
                worstAlone = max(worstAlone, maxDifference(row(together, b, v), single))
                worstReference = max(worstReference, maxDifference(row(together, b, v), ref.logits[b][prompts[b] + step]))
            }
        }
        XCTAssertLessThan(worstAlone, 1e-5)
        XCTAssertLessThan(worstReference, 1e-4)
    }

    /// A batched prefill of several prompts gives each prompt's last logits.
    func testBatchedPrefill() throws {
        let ref = try load("qwen3-tiny-a")
        let e = ref.engine, v = e.config.vocabSize
        let lengths = [4, 11]
        let requests = lengths.enumerated().map { b, n in (sequence: e.makeSequence(), tokens: Array(ref.inputIDs[b][..<n])) }
        let logits = try e.prefill(requests)
        for (b, n) in lengths.enumerated() {
            XCTAssertLessThan(maxDifference(row(logits, b, v), ref.logits[b][n - 1]), 1e-4)
        }
        XCTAssertEqual(e.statistics.prefillTokens, 15)
    }

    /// A fork continued with the same tokens gives the logits of a sequence recomputed from
    /// scratch, computes none of the prefix again, and a diverging sibling leaves it intact.
    func testForkSharesThePrefixAndMatchesRecomputation() throws {
        let ref = try load("qwen3-tiny-b")
        let e = ref.engine, v = e.config.vocabSize, ids = ref.inputIDs[0]
        let parent = e.makeSequence()
        _ = try e.prefill(sequence: parent, tokens: Array(ids[..<10]))  // 2½ blocks of 4
        let computed = e.cache.statistics.computedPositions
        let prefill = e.statistics.prefillTokens

        let child = e.fork(parent)
        let sibling = e.fork(parent)
        XCTAssertEqual(e.cache.statistics.computedPositions, computed, "forking computes nothing")
        XCTAssertEqual(e.cache.blocksInUse, 3, "forks share every block")

        // The sibling diverges first (other tokens), forcing a copy of the shared partial block.
        _ = try e.prefill(sequence: sibling, tokens: Array(ref.inputIDs[1][10..<14]))
        // The child continues the original text: a tool-result-like multi-token continuation.
        let continued = try e.prefill(sequence: child, tokens: Array(ids[10..<15]))
        XCTAssertEqual(e.statistics.prefillTokens - prefill, 4 + 5, "only the new tokens are computed")
        XCTAssertEqual(e.cache.statistics.computedPositions - computed, 4 + 5)

        let scratch = e.makeSequence()
        let recomputed = try e.prefill(sequence: scratch, tokens: Array(ids[..<15]))
        XCTAssertLessThan(maxDifference(continued[...], recomputed), 1e-5)
        XCTAssertLessThan(maxDifference(continued[...], ref.logits[0][14]), 1e-4)

        // The parent, decoded on, still sees its own prefix.
        for t in 10..<13 {
            let logits = try e.decodeStep(sequences: [parent, child], tokens: [ids[t], ids[t + 5]])
            XCTAssertLessThan(maxDifference(row(logits, 0, v), ref.logits[0][t]), 1e-4)
            XCTAssertLessThan(maxDifference(row(logits, 1, v), ref.logits[0][t + 5]), 1e-4)
        }
        for s in [parent, child, sibling, scratch] { e.release(s) }
        XCTAssertEqual(e.cache.blocksInUse, 0)
    }

    func testBadTokensAreRejected() throws {
        let ref = try load("qwen3-tiny-a")
        let s = ref.engine.makeSequence()
        XCTAssertThrowsError(try ref.engine.prefill(sequence: s, tokens: [1, 64])) { error in
            XCTAssertTrue("\(error)".contains("64"), "\(error)")
        }
        XCTAssertThrowsError(try ref.engine.prefill(sequence: s, tokens: []))
        XCTAssertThrowsError(try ref.engine.decodeStep(sequences: [s], tokens: [-1]))
        XCTAssertEqual(ref.engine.length(of: s), 0, "a rejected pass reserves nothing")
    }
}

/// The engine against the training forward of `Qwen3Model` on a random model.
final class InferenceEngineForwardTests: XCTestCase {
    /// A random model with weights large enough that logits spread over several units (initialisation scale is too quiet).
    private func spreadModel(_ config: Qwen3Config, _ generator: inout SeededGenerator) throws -> Qwen3Model {
        let count = ParameterLayout(config: config).totalCount
        return try Qwen3Model(config: config, parameters: (0..<count).map { _ in 0.3 * Float(generator.nextGaussian()) + 0.1 })
    }

    func testCachedDecodingMatchesTheFullForward() throws {
        let config = Qwen3Config(vocabSize: 40, hiddenSize: 24, intermediateSize: 40, numHiddenLayers: 2,
                                 numAttentionHeads: 6, numKeyValueHeads: 2, headDim: 8, maxPositionEmbeddings: 64)
        var generator = SeededGenerator(seed: 5)
        let model = try spreadModel(config, &generator)
        let tokens = (0..<37).map { _ in Int(generator.next() % 40) }
        let full = try model.logits(for: [tokens])[0]
        let engine = try InferenceEngine(model: model)
        let s = engine.makeSequence()
        var worst: Float = 0
        var logits = try engine.prefill(sequence: s, tokens: Array(tokens[..<20]))
        for t in 19..<tokens.count {
            if t > 19 { logits = try engine.decodeStep(sequences: [s], tokens: [tokens[t]]) }
            worst = max(worst, zip(logits, full[t]).map { abs($0 - $1) }.max()!)
        }
        XCTAssertLessThan(worst, 1e-4)
        XCTAssertGreaterThan(full[36].max()! - full[36].min()!, 2, "a test with flat logits could not fail")
    }

    /// Caches of bfloat16 and int8 give the float32 cache's logits within a small fraction of their spread, over a
    /// prefill of 20 tokens and 40 decode steps of a random model with logits spread over several units. Measured: the
    /// largest difference is 5.5e-5 (bfloat16) and 1.3e-4 (int8) of the range of the step's logits; the bounds are about
    /// 4× that. A stored element is off by at most 2⁻⁸ of its magnitude (bfloat16) or 1/254 of its row's largest
    /// (int8), and attention, the norms and two layers carry that relative error to the logits without growing it, so a
    /// difference of the order of 1 % of the range would mean a wrong scale or a misplaced row.
    func testQuantisedCachesStayCloseToFloat32() throws {
        let config = Qwen3Config(vocabSize: 64, hiddenSize: 64, intermediateSize: 96, numHiddenLayers: 2,
                                 numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 32, maxPositionEmbeddings: 128)
        var generator = SeededGenerator(seed: 6)
        let model = try spreadModel(config, &generator)
        let tokens = (0..<60).map { _ in Int(generator.next() % 64) }
        /// The logits after the prompt and after every decoded token.
        func logits(_ type: KVCacheDataType) throws -> [[Float]] {
            let engine = try InferenceEngine(model: model, kvCacheDataType: type)
            let s = engine.makeSequence()
            var rows = [try engine.prefill(sequence: s, tokens: Array(tokens[..<20]))]
            for t in 20..<tokens.count { rows.append(try engine.decodeStep(sequences: [s], tokens: [tokens[t]])) }
            return rows
        }
        let reference = try logits(.float32)
        XCTAssertEqual(try logits(.float32), reference, "float32 is deterministic")
        for (type, bound) in [(KVCacheDataType.bfloat16, Float(2e-4)), (.int8, 5e-4)] {
            var worst: Float = 0
            for (row, expected) in zip(try logits(type), reference) {
                let range = expected.max()! - expected.min()!
                XCTAssertGreaterThan(range, 2, "a test with flat logits could not fail")
                worst = max(worst, zip(row, expected).map { abs($0 - $1) }.max()! / range)
            }
            XCTAssertLessThan(worst, bound, "\(type)")
            XCTAssertGreaterThan(worst, 0, "\(type) stores other values than float32")
        }
    }

    /// Chunked prefill: a call over more than `maxTokensPerPass` tokens, run in several passes (prompts split between
    /// passes, a continuation of a sequence, a fork whose shared partial block is copied), gives the logits of one pass
    /// after it and after six batched decode steps, for every cache type, whether the pass size is set when the engine
    /// is made (as `--max-num-batched-tokens` sets it; the parent's first prompt of 10 tokens then chunked too) or later. Every row takes the same products and reads
    /// the same stored keys and values, so the bound is float32 rounding, 1e-6 of the logits' range (measured on the
    /// Swift kernels: the same bits); the bfloat16 and int8 caches, chunked, stay within
    /// `testQuantisedCachesStayCloseToFloat32`'s bounds of the float32 cache.
    func testChunkedPrefillGivesTheLogitsOfOnePass() throws {
        let config = Qwen3Config(vocabSize: 64, hiddenSize: 64, intermediateSize: 96, numHiddenLayers: 2,
                                 numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 32, maxPositionEmbeddings: 256)
        var generator = SeededGenerator(seed: 7)
        let model = try spreadModel(config, &generator)
        let text = (0..<160).map { _ in Int(generator.next() % 64) }
        /// The logits after the prefill of 105 tokens and after each decode step, with the passes the prefill took.
        func logits(_ type: KVCacheDataType, tokensPerPass: Int, fromTheStart: Bool = false) throws -> (rows: [[Float]], passes: Int) {
            let engine = try InferenceEngine(model: model, blockSize: 4, kvCacheDataType: type,
                                             maxTokensPerPass: fromTheStart ? tokensPerPass : InferenceEngine.defaultMaxTokensPerPass)
            XCTAssertEqual(engine.maxTokensPerPass, fromTheStart ? tokensPerPass : InferenceEngine.defaultMaxTokensPerPass)
            let parent = engine.makeSequence()
            _ = try engine.prefill(sequence: parent, tokens: Array(text[..<10]))  // 2½ blocks
            let fork = engine.fork(parent)
            let (a, b) = (engine.makeSequence(), engine.makeSequence())
            engine.maxTokensPerPass = tokensPerPass
            let passes = engine.statistics.passes
            var rows = [try engine.prefill([(a, Array(text[20..<65])), (parent, Array(text[10..<27])),
                                            (b, Array(text[70..<100])), (fork, Array(text[100..<113]))])]
            let prefillPasses = engine.statistics.passes - passes
            for t in 0..<6 {
                rows.append(try engine.decodeStep(sequences: [a, parent, b, fork],
                                                  tokens: [text[120 + t], text[130 + t], text[140 + t], text[150 + t]]))
            }
            XCTAssertEqual(engine.statistics.prefillTokens, 10 + 105)
            XCTAssertEqual(engine.length(of: parent), 27 + 6)
            XCTAssertEqual(engine.length(of: fork), 23 + 6)
            return (rows, prefillPasses)
        }
        /// The largest difference between the rows of `a` and `b`, as a fraction of the range of `b`'s row.
        func worst(_ a: [[Float]], _ b: [[Float]]) -> Float {
            zip(a, b).map { x, y in zip(x, y).map { abs($0 - $1) }.max()! / (y.max()! - y.min()!) }.max()!
        }
        let float32 = try logits(.float32, tokensPerPass: InferenceEngine.defaultMaxTokensPerPass)
        XCTAssertEqual(float32.passes, 1)
        for (type, bound) in [(KVCacheDataType.float32, Float(0)), (.bfloat16, 2e-4), (.int8, 5e-4)] {
            let onePass = try logits(type, tokensPerPass: InferenceEngine.defaultMaxTokensPerPass)
            // 105 tokens in passes of 1, of 7, in 3 of 35 (each prompt split) and 2 of 53 (above the decode path's 32 rows).
            for (tokensPerPass, passes) in [(1, 105), (7, 15), (40, 3), (60, 2)] {
                let chunked = try logits(type, tokensPerPass: tokensPerPass, fromTheStart: tokensPerPass == 7)
                XCTAssertEqual(chunked.passes, passes, "\(type), \(tokensPerPass) tokens a pass")
                XCTAssertLessThanOrEqual(worst(chunked.rows, onePass.rows), 1e-6, "\(type), \(tokensPerPass) tokens a pass")
                let fromFloat32 = worst(chunked.rows, float32.rows)
                XCTAssertLessThanOrEqual(fromFloat32, bound, "\(type), \(tokensPerPass) tokens a pass")
                XCTAssertEqual(fromFloat32 > 0, type != .float32, "\(type) stores other values than float32")
            }
        }
    }
}

