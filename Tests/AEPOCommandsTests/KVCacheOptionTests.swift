@testable import AEPOCommands
import AEPOAgent
import AEPOBenchmark
import AEPOCore
import AEPOModel
import AEPOTestSupport
import Foundation
import XCTest

/// `--kv-cache-dtype` of `aepo rollout`, `aepo eval` and `aepo serve`: the native engine's cache stores the chosen type,
/// and a bad value or a remote backend is refused naming the option (`ServeCommandTests`: its memory estimate).
final class KVCacheOptionTests: XCTestCase {
    func testTheEngineCacheStoresTheChosenType() throws {
        let root = try Fixtures.temporaryDirectory("kv-cache-option")
        defer { try? FileManager.default.removeItem(at: root) }
        let (modelURL, dataURL) = try ToolProneWorkspace.make(in: root)
        let data = try BenchmarkDirectory.load(from: dataURL)
        for type in KVCacheDataType.allCases {
            let rollout = try RolloutCommand.parse(["--model", modelURL.path, "--data", dataURL.path, "--out", "unused",
                                                    "--kv-cache-dtype", type.name])
            let eval = try EvalCommand.parse(["--model", modelURL.path, "--data", dataURL.path, "--kv-cache-dtype", type.name])
            for backend in [rollout.backend, eval.backend] {
                let agent = try backend.agent(data: data, sampling: .greedy, settings: AgentSettings())
                XCTAssertEqual((agent.backend as? NativeSampler)?.engine.cache.dataType, type)
            }
        }
        let out = root.appendingPathComponent("int8.jsonl")
        _ = try RolloutCommand.parse(["--model", modelURL.path, "--data", dataURL.path, "--algorithm", "grpo", "--questions", "1",
                                      "--out", out.path, "--kv-cache-dtype", "int8", "--set", "rollout.n=2",
                                      "--set", "rollout.initial_rollouts=1", "--set", "rollout.response_length=16"]).output()
        XCTAssertEqual(try JSONLines.read(Trajectory.self, from: out).count, 2)
    }

    func testBadValuesAndRemoteBackendsAreRefused() throws {
        for parse in [{ _ = try ServeCommand.parse(["--model", "m", "--kv-cache-dtype", "fp8"]) },
                      { _ = try EvalCommand.parse(["--model", "m", "--data", "d", "--kv-cache-dtype", "fp8"]) },
                      { _ = try RolloutCommand.parse(["--model", "m", "--data", "d", "--out", "o", "--kv-cache-dtype", "fp8"]) }] {
            XCTAssertThrowsError(try parse()) { error in
                XCTAssertTrue(ServeCommand.message(for: error).contains(
                    "--kv-cache-dtype: unknown kv_cache_dtype 'fp8'; expected one of float32, bfloat16, int8"), "\(error)")
            }
        }
        XCTAssertThrowsError(try EvalCommand.parse(["--model", "m", "--data", "d", "--backend", "openai", "--endpoint", "http://a:1",
                                                    "--kv-cache-dtype", "int8"])) { error in
            XCTAssertTrue(EvalCommand.message(for: error).contains("--kv-cache-dtype needs the native backend"), "\(error)")
        }
    }
}
