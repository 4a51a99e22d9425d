import AEPOCore
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
