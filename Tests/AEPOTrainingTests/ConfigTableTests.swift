import AEPOAlgorithms
import AEPOCore
import AEPOTraining
import XCTest

/// One table of typed keys: the training configuration embeds the algorithm's keys beside its own, reads the preset's
/// name without letting it be set, and applies each setting by its key's type.
final class ConfigTableTests: XCTestCase {
    func testTheTrainingTableEmbedsTheAlgorithmsKeysOnce() throws {
        let names = TrainingConfig.keys.map(\.name)
        XCTAssertEqual(names.first, TrainingConfig.presetKey)
        XCTAssertEqual(Array(names.dropFirst().prefix(AlgorithmConfig.keys.count)), AlgorithmConfig.keys.map(\.name))
        XCTAssertEqual(Set(names).count, names.count)
        XCTAssertTrue(names.contains("trainer.log_freq"))

        var config = TrainingConfig(algorithm: AlgorithmPreset.gspo.config)
        try config.apply([ConfigSetting(key: "actor.clip_ratio_high", value: "0.3", line: 4), ConfigSetting(key: "sft.steps", value: "7")],
                         source: "c.yaml")
        XCTAssertEqual(config.algorithm.actor.lossSettings.clipRatioHigh, 0.3)
        XCTAssertEqual(config.algorithm.actor.clipRatioHigh, 0.3, "the loss settings read as the actor's own")
        XCTAssertEqual(try config.algorithm.actorObjective().settings, config.algorithm.actor.lossSettings)
        XCTAssertEqual(config.sft.steps, 7)
        XCTAssertEqual(config.value(of: "actor.clip_ratio_high"), "0.3")
        XCTAssertEqual(config.resolved.map(\.key), names)
    }

    func testThePresetNameIsReadButNeverSet() throws {
        var config = TrainingConfig(algorithm: AlgorithmPreset.dapo.config)
        XCTAssertEqual(config.value(of: TrainingConfig.presetKey), "dapo")
        XCTAssertThrowsError(try config.set(TrainingConfig.presetKey, to: "grpo")) { error in
            XCTAssertEqual(error as? InputError, InputError("the preset is chosen once, by --algorithm or the config file",
                                                            source: "override", field: TrainingConfig.presetKey))
        }
        XCTAssertThrowsError(try config.set("algorithm.nme", to: "grpo")) { error in
            let message = (error as? InputError)?.message ?? ""
            XCTAssertTrue(message.hasPrefix("unknown key; keys of 'algorithm': algorithm.adv_estimator,"), message)
            XCTAssertFalse(message.contains(TrainingConfig.presetKey), "a key that cannot be set is not offered")
        }
        XCTAssertEqual(config.algorithm.name, "dapo")
    }

    /// `key=value` splits at the first `=`: the key trimmed, the value as written.
    func testSettingParsing() throws {
        XCTAssertEqual(try ConfigSetting(parsing: " rollout.n = 4=x", source: "--set"), ConfigSetting(key: "rollout.n", value: " 4=x"))
        XCTAssertThrowsError(try ConfigSetting(parsing: "rollout.n", source: "--set")) { error in
            XCTAssertEqual(error as? InputError, InputError("expected key=value, got 'rollout.n'", source: "--set"))
        }
    }
}
