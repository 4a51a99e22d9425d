import AEPOCore
import AEPOModel
import AEPOTestSupport
@testable import AEPOTraining
import XCTest

/// `rollout.backend` and the servers' keys: checked together, the servers' addresses and client settings may change on
/// resume, and a trainer refuses a backend it was not given servers for.
final class SamplingBackendConfigTests: XCTestCase {
    func testKeysAreCheckedTogether() throws {
        var config = try TrainingConfig.resolve(algorithm: "grpo", file: nil, overrides: [])
        XCTAssertEqual(config.sampling.backend, .native)
        XCTAssertThrowsError(try config.apply(overrides: ["rollout.backend=openai"])) { error in
            XCTAssertEqual((error as? InputError)?.field, "rollout.endpoints")
        }
        XCTAssertThrowsError(try config.apply(overrides: ["rollout.endpoints=http://a:1"])) { error in
            XCTAssertEqual((error as? InputError)?.field, "rollout.endpoints")
        }
        try config.apply(overrides: ["rollout.backend=openai", "rollout.endpoints=http://a:1, http://b:2", "rollout.max_staleness=2"])
        XCTAssertEqual(config.sampling.endpointList, ["http://a:1", "http://b:2"])
        XCTAssertEqual(config.sampling.maxStaleness, 2)
        for (key, value) in [("rollout.backend", "vllm"), ("rollout.concurrency", "0"), ("rollout.probe_tolerance", "0"), ("rollout.top_logprobs", "0")] {
            XCTAssertThrowsError(try config.apply(overrides: ["\(key)=\(value)"])) { error in
                XCTAssertEqual((error as? InputError)?.field, key)
            }
        }
        XCTAssertTrue(TrainingConfig.resumableKeys.isSuperset(of: ["rollout.endpoints", "rollout.timeout", "rollout.retries"]))
        XCTAssertFalse(TrainingConfig.resumableKeys.contains("rollout.backend"), "the backend decides the rollout correction")
    }

    /// `rollout.kv_cache_dtype` chooses how the native engine's cache stores keys and values; the run's memory estimate
    /// counts it at that size, and a bad value names the key and the allowed values.
    func testKVCacheDataTypeKey() throws {
        var config = try TrainingConfig.resolve(algorithm: "grpo", file: nil, overrides: [])
        XCTAssertEqual(config.sampling.kvCacheDataType, .float32)
        XCTAssertThrowsError(try config.apply(overrides: ["rollout.kv_cache_dtype=fp8"])) { error in
            XCTAssertEqual((error as? InputError)?.field, "rollout.kv_cache_dtype")
            XCTAssertTrue("\(error)".contains("expected one of float32, bfloat16, int8"), "\(error)")
        }
        let model = config.modelConfig(vocabularySize: 64)
        func cacheBytes(_ config: TrainingConfig) throws -> Double {
            let estimate = Trainer.memoryEstimate(config: config, phase: .rl, model: model, adapter: nil, longestExample: 1, recomputing: false)
            return try XCTUnwrap(estimate.parts.first { $0.name.hasPrefix("KV cache") }).bytes
        }
        let float32 = try cacheBytes(config)
        try config.apply(overrides: ["rollout.kv_cache_dtype=int8"])
        XCTAssertEqual(config.sampling.kvCacheDataType, .int8)
        XCTAssertEqual(try cacheBytes(config), float32 * Double(KVCacheDataType.int8.bytesPerPosition(model))
                       / Double(KVCacheDataType.float32.bytesPerPosition(model)))
    }

    /// `rollout.max_num_batched_tokens` sets the native engine's pass size (a positive integer; anything else names the
    /// key), the run's memory estimate counts one pass's workspace at it, and a resumed run may change it.
    func testMaxNumBatchedTokensKey() throws {
        var config = try TrainingConfig.resolve(algorithm: "grpo", file: nil, overrides: [])
        XCTAssertEqual(config.sampling.maxNumBatchedTokens, 2048)
        XCTAssertEqual(config.value(of: "rollout.max_num_batched_tokens"), "2048")
        for value in ["0", "-5", "many", "1.5", ""] {
            XCTAssertThrowsError(try config.apply(overrides: ["rollout.max_num_batched_tokens=\(value)"]), value) { error in
                XCTAssertEqual((error as? InputError)?.field, "rollout.max_num_batched_tokens", "\(error)")
            }
        }
        let model = config.modelConfig(vocabularySize: 64)
        func workspaceBytes(_ config: TrainingConfig) throws -> Double {
            let estimate = Trainer.memoryEstimate(config: config, phase: .rl, model: model, adapter: nil, longestExample: 1, recomputing: false)
            return try XCTUnwrap(estimate.parts.first { $0.name == "decoding workspace" }).bytes
        }
        let length = min(model.maxPositionEmbeddings, config.algorithm.rollout.responseLength)
        let perRow = try workspaceBytes(config) / Double(min(length, 2048))
        try config.apply(overrides: ["rollout.max_num_batched_tokens=3"])
        XCTAssertEqual(config.sampling.maxNumBatchedTokens, 3)
        XCTAssertEqual(try workspaceBytes(config), 3 * perRow)
        XCTAssertTrue(TrainingConfig.resumableKeys.contains("rollout.max_num_batched_tokens"), "a memory setting")
    }

    /// An RL step's native engine takes `rollout.max_num_batched_tokens`: at 1 every token the step's rollout runs
    /// (prompts, tool results, sampled tokens) is a forward pass of its own, so the step's `forward_passes` is several
    /// times that of the same step at 4,096, where each prefill or decode step is one pass.
    func testAStepsEngineRunsPassesOfMaxNumBatchedTokens() throws {
        let root = try Fixtures.temporaryDirectory("pass-size")
        defer { try? FileManager.default.removeItem(at: root) }
        func passes(_ tokens: Int) throws -> Double {
            let config = try TrainingConfig.resolve(algorithm: "grpo", file: nil, overrides: TrainingFixture.settings(
                run: root.appendingPathComponent("\(tokens)")) + ["rollout.max_num_batched_tokens=\(tokens)"])
            return try XCTUnwrap(try Trainer(config: config, phase: .rl).step()["forward_passes"])
        }
        let (one, whole) = (try passes(1), try passes(4096))
        XCTAssertGreaterThan(whole, 0)
        XCTAssertGreaterThan(one, 3 * whole, "passes of one token: \(one), of whole calls: \(whole)")
    }

    func testAnOpenAIBackendNeedsServers() throws {
        let run = try Fixtures.temporaryDirectory("no-servers")
        defer { try? FileManager.default.removeItem(at: run) }
        let config = try TrainingConfig.resolve(algorithm: "grpo", file: nil, overrides: TrainingFixture.settings(run: run) + [
            "rollout.backend=openai", "rollout.endpoints=http://127.0.0.1:9"])
        XCTAssertThrowsError(try Trainer(config: config, phase: .rl)) { error in
            XCTAssertEqual((error as? InputError)?.field, "rollout.backend")
            XCTAssertTrue("\(error)".contains("none were given"), "\(error)")
        }
        XCTAssertNoThrow(try Trainer(config: config, phase: .sft), "SFT samples nothing")
    }
}
