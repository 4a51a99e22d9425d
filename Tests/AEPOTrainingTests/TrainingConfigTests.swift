import AEPOCore
import AEPOTestSupport
import AEPOTraining
import XCTest

final class TrainingConfigTests: XCTestCase {
    func testPresetFileAndOverridesApplyInOrderAndRoundTrip() throws {
        let directory = try Fixtures.temporaryDirectory("config")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("c.json")
        try #"{"algorithm": {"name": "dapo"}, "rollout": {"n": 6, "branch": {"alpha": 0.4}}, "sft.steps": 7, "data": {"suites": ["bridge", "calc-word"]}}"#
            .write(to: file, atomically: true, encoding: .utf8)
        let config = try TrainingConfig.resolve(algorithm: nil, file: file, overrides: ["rollout.n=8", "trainer.steps=3"])
        XCTAssertEqual(config.algorithm.name, "dapo")
        XCTAssertEqual(config.algorithm.actor.clipRatioHigh, 0.28)
        XCTAssertEqual(config.algorithm.rollout.n, 8)
        XCTAssertEqual(config.algorithm.rollout.branch.alpha, 0.4)
        XCTAssertEqual(config.sft.steps, 7)
        XCTAssertEqual(config.trainer.steps, 3)
        XCTAssertEqual(config.suiteNames, ["bridge", "calc-word"])
        XCTAssertEqual(try TrainingConfig.resolve(algorithm: "grpo", file: file, overrides: []).algorithm.name, "grpo")

        let saved = directory.appendingPathComponent("resolved.json")
        try config.write(to: saved)
        let again = try TrainingConfig.resolve(algorithm: nil, file: saved, overrides: [])
        XCTAssertEqual(again, config)
    }

    func testUnknownKeysAndBadValuesNameTheKey() throws {
        func error(_ overrides: [String]) -> InputError? {
            do { _ = try TrainingConfig.resolve(algorithm: "aepo", file: nil, overrides: overrides); return nil } catch { return error as? InputError }
        }
        XCTAssertEqual(error(["model.hiden_size=3"])?.field, "model.hiden_size")
        XCTAssertTrue(error(["model.hiden_size=3"])!.message.contains("model.hidden_size"))
        XCTAssertEqual(error(["sft.lr=fast"])?.field, "sft.lr")
        XCTAssertEqual(error(["model.num_kv_heads=3"])?.field, "model.num_kv_heads")
        XCTAssertEqual(error(["rollout.n=0"])?.field, "rollout.n")
        XCTAssertEqual(error(["optim.schedule=linear"])?.message, "expected one of constant, warmup, cosine, got 'linear'")
        XCTAssertEqual(error(["actor.use_kl_loss=true"])?.field, "actor.use_kl_loss")
        XCTAssertNotNil(error(["trainer.steps"]))
        XCTAssertThrowsError(try TrainingConfig.resolve(algorithm: "ppo", file: nil, overrides: []))
    }
}
