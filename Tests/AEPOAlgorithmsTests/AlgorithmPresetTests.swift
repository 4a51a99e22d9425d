import AEPOAlgorithms
import AEPOCore
import AEPORollout
import XCTest

final class AlgorithmPresetTests: XCTestCase {
    func testEveryPresetIsValidAndBuildsItsObjective() throws {
        XCTAssertEqual(AlgorithmPreset.allCases.map(\.rawValue), ["grpo", "dapo", "reinforce++", "gspo", "cispo", "gppo", "arpo", "aepo"])
        for preset in AlgorithmPreset.allCases {
            let config = preset.config
            XCTAssertNoThrow(try config.validate(), preset.rawValue)
            XCTAssertEqual(try config.actorObjective().policyLoss.name, config.actor.policyLoss)
            XCTAssertEqual(try AlgorithmPreset.named(preset.rawValue), preset)
            XCTAssertEqual(config.resolved.count, AlgorithmConfig.keys.count)
        }
    }

    func testPresetsFollowTheSpec() {
        let table: [(AlgorithmPreset, RolloutStrategy, String, String, Double, Double, LossAggregation)] = [
            (.grpo, .independent, "grpo", "ppo-clip", 0.2, 0.2, .tokenMean),
            (.dapo, .independent, "grpo", "ppo-clip", 0.2, 0.28, .tokenMean),
            (.reinforcePlusPlus, .independent, "reinforce++", "ppo-clip", 0.2, 0.2, .tokenMean),
            (.gspo, .independent, "grpo", "gspo", 3e-4, 4e-4, .seqMeanTokenMean),
            (.cispo, .independent, "grpo", "cispo", 0.2, 0.28, .tokenMean),
            (.gppo, .independent, "grpo", "gppo", 0.2, 0.2, .tokenMean),
            (.arpo, .arpo, "grpo", "ppo-clip", 0.2, 0.2, .tokenMean),
            (.aepo, .aepo, "grpo", "ebpo", 0.2, 0.2, .tokenMean),
        ]
        for (preset, strategy, estimator, loss, low, high, aggregation) in table {
            let c = preset.config
            XCTAssertEqual(c.rollout.strategy, strategy, preset.rawValue)
            XCTAssertEqual(c.algorithm.advEstimator, estimator, preset.rawValue)
            XCTAssertEqual(c.actor.policyLoss, loss, preset.rawValue)
            XCTAssertEqual(c.actor.clipRatioLow, low, preset.rawValue)
            XCTAssertEqual(c.actor.clipRatioHigh, high, preset.rawValue)
            XCTAssertEqual(c.actor.lossAggMode, aggregation, preset.rawValue)
            XCTAssertEqual(c.rollout.n, 12)
            XCTAssertFalse(c.actor.useKLLoss, preset.rawValue)
            XCTAssertEqual(c.algorithm.filterGroups, preset == .dapo)
            XCTAssertEqual(c.algorithm.overlongBuffer, preset == .dapo)
            XCTAssertEqual(c.algorithm.entropyAdvantageCoef, preset == .aepo ? 0.2 : 0)
            XCTAssertEqual(c.rollout.preMonitor, preset == .aepo)
            XCTAssertEqual(c.rollout.branch.penalty, preset == .aepo ? 0.05 : 0)
        }
        let aepo = AlgorithmPreset.aepo.config
        XCTAssertEqual(aepo.rollout.branch, BranchPolicy.Settings(alpha: 0.5, gamma: 0.2, penalty: 0.05, form: .paper, scope: .path))
        XCTAssertEqual(aepo.rollout.initialRollouts, 6)
        XCTAssertEqual(aepo.actor.clipRatioC, 3)
        XCTAssertEqual(AlgorithmPreset.gppo.config.actor.gppoBetaLow, 0.5)
    }

    func testOverridesByDottedName() throws {
        var c = try AlgorithmPreset.aepo.config(overrides: [
            "actor.clip_ratio_high=0.3", "rollout.n=16", "rollout.initial_rollouts = 8",
            "rollout.branch.penalty_scope=question", "rollout.branch.penalty_form=released",
            "actor.loss_agg_mode=seq-mean-token-sum", "actor.use_kl_loss=true", "algorithm.adv_estimator=rloo",
        ])
        XCTAssertEqual(c.actor.clipRatioHigh, 0.3)
        XCTAssertEqual(c.rollout.n, 16)
        XCTAssertEqual(c.rollout.initialRollouts, 8)
        XCTAssertEqual(c.rollout.branch.scope, .question)
        XCTAssertEqual(c.rollout.branch.form, .released)
        XCTAssertEqual(c.actor.lossAggMode, .seqMeanTokenSum)
        XCTAssertEqual(c.value(of: "actor.use_kl_loss"), "true")
        XCTAssertEqual(c.value(of: "algorithm.adv_estimator"), "rloo")
        XCTAssertNotNil(try c.actorObjective().klLoss)
        XCTAssertThrowsError(try c.set("rollout.n", to: "4"), "m = 8 > k = 4")
        try c.apply(overrides: ["rollout.n=4", "rollout.initial_rollouts=2"])
        XCTAssertEqual(c.rollout.n, 4)
        try c.set("rollout.branch.alpha", to: "0.7")
        XCTAssertEqual(c.rollout.branch.alpha, 0.7)
    }

    func testOverrideErrorsNameTheKeyAndTheExpectedType() {
        var c = AlgorithmPreset.grpo.config
        func error(_ key: String, _ value: String) -> InputError? {
            do {
                try c.set(key, to: value)
                return nil
            } catch {
                return error as? InputError
            }
        }
        let type = error("actor.clip_ratio_high", "wide")
        XCTAssertEqual(type?.field, "actor.clip_ratio_high")
        XCTAssertTrue(type?.message.contains("a finite number") ?? false, "\(String(describing: type))")
        XCTAssertEqual(error("rollout.n", "1.5")?.message.contains("an integer"), true)
        XCTAssertEqual(error("actor.loss_agg_mode", "mean")?.message.contains("token-mean"), true)
        let unknown = error("actor.clip_high", "0.3")
        XCTAssertEqual(unknown?.field, "actor.clip_high")
        XCTAssertTrue(unknown?.message.contains("actor.clip_ratio_high") ?? false)
        XCTAssertEqual(error("actor.policy_loss", "vanilla")?.field, "actor.policy_loss")
        XCTAssertEqual(error("rollout.initial_rollouts", "13")?.field, "rollout.initial_rollouts")
        XCTAssertEqual(error("actor.clip_ratio_c", "0.5")?.field, "actor.clip_ratio_c")
        XCTAssertEqual(c, AlgorithmPreset.grpo.config, "a rejected override leaves the config unchanged")
        XCTAssertThrowsError(try c.apply(overrides: ["rollout.n"]))
        XCTAssertThrowsError(try AlgorithmPreset.named("ppo"))
    }

    /// DAPO's overlong buffer must be shorter than the response, or it would penalise every response token.
    func testOverlongBufferMustBeShorterThanTheResponse() throws {
        var dapo = AlgorithmPreset.dapo.config
        XCTAssertThrowsError(try dapo.apply(overrides: ["rollout.response_length=192"])) { error in
            XCTAssertEqual((error as? InputError)?.field, "algorithm.overlong_buffer.len")
            XCTAssertTrue("\(error)".contains("rollout.response_length (192)"), "\(error)")
        }
        try dapo.apply(overrides: ["rollout.response_length=192", "algorithm.overlong_buffer.len=32"])
        XCTAssertEqual(dapo.algorithm.overlongBufferLength, 32)
        var grpo = AlgorithmPreset.grpo.config
        XCTAssertNoThrow(try grpo.apply(overrides: ["rollout.response_length=192"]), "the buffer only matters with the penalty on")
    }

    func testDynamicSamplingDropsAllEqualGroups() {
        let scores: [Double] = [1, 1, 1, 0, 1, 0, 0, 0, 0.5, 0.5]
        let groups = [0, 0, 0, 1, 1, 2, 2, 2, 3, 3]
        XCTAssertEqual(DynamicSampling.informativeGroups(scores: scores, groupIDs: groups), [1])
    }

    func testOverlongShapingClosedForm() {
        let shaping = OverlongRewardShaping(maxLength: 100, bufferLength: 20, penaltyFactor: 1)
        XCTAssertEqual(shaping.penalty(length: 50), 0)
        XCTAssertEqual(shaping.penalty(length: 80), 0)
        XCTAssertEqual(shaping.penalty(length: 90), -0.5, accuracy: 1e-15)
        XCTAssertEqual(shaping.penalty(length: 100), -1, accuracy: 1e-15)
        XCTAssertEqual(shaping.shaped(score: 1, length: 95), 0.25, accuracy: 1e-15)
    }
}

extension AlgorithmPresetTests {
    func testRolloutAndAgentSettingsFollowThePreset() throws {
        let aepo = try AlgorithmPreset.aepo.config(overrides: ["rollout.n=8", "rollout.initial_rollouts=3", "rollout.max_tool_calls=2"])
        XCTAssertEqual(aepo.rollout.rolloutSettings, RolloutSettings(strategy: .aepo, trajectoriesPerQuestion: 8, initialRollouts: 3,
                                                                     branch: BranchPolicy.Settings(penalty: 0.05), preMonitor: true))
        XCTAssertTrue(aepo.rollout.rolloutSettings.monitors)
        XCTAssertEqual(aepo.rollout.agentSettings.maxToolCalls, 2)
        XCTAssertEqual(aepo.rollout.agentSettings.maxResponseTokens, 6192)
        XCTAssertFalse(AlgorithmPreset.arpo.config.rollout.rolloutSettings.monitors)
        XCTAssertEqual(AlgorithmPreset.grpo.config.rollout.rolloutSettings.strategy, .independent)
    }
}
