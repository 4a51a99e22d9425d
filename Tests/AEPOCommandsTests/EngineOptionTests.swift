@testable import AEPOCommands
import AEPOAgent
import AEPOBenchmark
import AEPOCore
import AEPOModel
import AEPOTestSupport
import ArgumentParser
import Foundation
import XCTest

/// `--kv-cache-dtype` and `--max-num-batched-tokens` of `aepo rollout`, `aepo eval` and `aepo serve`: the native engine's
/// cache stores the chosen type and its passes run at most the chosen number of tokens, and a bad value or a remote
/// backend is refused naming the option (`ServeCommandTests`, `BenchModelTests`: their memory estimates).
final class EngineOptionTests: XCTestCase {
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

    /// Passes of 3 tokens reach the engine of `aepo rollout` and `aepo eval`, and a rollout chunked so writes the same
    /// trajectories as one in passes of 2,048 (chunked prefill gives the logits of one pass).
    func testThePassSizeReachesTheEngineAndKeepsTheRollouts() throws {
        let root = try Fixtures.temporaryDirectory("pass-size-option")
        defer { try? FileManager.default.removeItem(at: root) }
        let (modelURL, dataURL) = try ToolProneWorkspace.make(in: root)
        let data = try BenchmarkDirectory.load(from: dataURL)
        let rollout = try RolloutCommand.parse(["--model", modelURL.path, "--data", dataURL.path, "--out", "unused",
                                                "--max-num-batched-tokens", "3"])
        let eval = try EvalCommand.parse(["--model", modelURL.path, "--data", dataURL.path, "--max-num-batched-tokens", "3"])
        for backend in [rollout.backend, eval.backend] {
            let agent = try backend.agent(data: data, sampling: .greedy, settings: AgentSettings())
            XCTAssertEqual((agent.backend as? NativeSampler)?.engine.maxTokensPerPass, 3)
        }
        func trajectories(_ options: [String], _ name: String) throws -> Data {
            let out = root.appendingPathComponent(name)
            _ = try RolloutCommand.parse(["--model", modelURL.path, "--data", dataURL.path, "--algorithm", "grpo", "--questions", "1",
                                          "--out", out.path, "--set", "rollout.n=2", "--set", "rollout.initial_rollouts=1",
                                          "--set", "rollout.response_length=16"] + options).output()
            return try Data(contentsOf: out)
        }
        XCTAssertEqual(try trajectories(["--max-num-batched-tokens", "3"], "small.jsonl"), try trajectories([], "default.jsonl"))
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
        let commands: [(ParsableCommand.Type, [String])] = [(ServeCommand.self, ["--model", "m"]), (EvalCommand.self, ["--model", "m", "--data", "d"]),
                                                            (RolloutCommand.self, ["--model", "m", "--data", "d", "--out", "o"]),
                                                            (Bench.self, ["--model", "m"])]
        for (command, arguments) in commands {
            for (value, message) in [("0", "--max-num-batched-tokens must be a positive integer (tokens per forward pass), got 0"),
                                     ("-4", "--max-num-batched-tokens must be a positive integer (tokens per forward pass), got -4"),
                                     ("many", "The value 'many' is invalid for '--max-num-batched-tokens"),
                                     ("1.5", "The value '1.5' is invalid for '--max-num-batched-tokens")] {
                XCTAssertThrowsError(try command.parse(arguments + ["--max-num-batched-tokens=\(value)"])) { error in
                    XCTAssertTrue(command.message(for: error).contains(message), "\(command) \(value): \(command.message(for: error))")
                }
            }
            XCTAssertNoThrow(try command.parse(arguments + ["--max-num-batched-tokens", "1"]), "\(command)")
        }
        XCTAssertThrowsError(try RolloutCommand.parse(["--model", "m", "--data", "d", "--out", "o", "--backend", "openai",
                                                       "--endpoint", "http://a:1", "--max-num-batched-tokens", "512"])) { error in
            XCTAssertTrue(RolloutCommand.message(for: error).contains("--max-num-batched-tokens needs the native backend"), "\(error)")
        }
    }
}
