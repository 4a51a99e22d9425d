import AEPOAlgorithms
import AEPOCore
import AEPOTestSupport
import Foundation
import XCTest

/// Truncated and masked importance sampling (docs/algorithm.md §5.11) against hand-computed cases.
final class RolloutCorrectionTests: XCTestCase {
    /// Two sequences; row 0 trains 2 tokens, row 1 trains 3. The trainer's log-probs are the sampler's plus the log of
    /// the ratios 3, 0.5 | 1, 1.5, 0.25.
    static let ratios: [[Double]] = [[3, 0.5, 1], [1, 1.5, 0.25]]
    static let mask = try! TokenMatrix([[1, 1, 0], [1, 1, 1]])
    static let sampler = try! TokenMatrix([[-1.0, -2.0, -0.5], [-0.3, -1.7, -2.2]])
    static var trainer: TokenMatrix {
        var out = sampler
        for b in 0..<2 { for t in 0..<3 { out[b, t] += log(ratios[b][t]) } }
        return out
    }

    func correction(_ weighting: RolloutCorrection.Weighting, _ rejection: RolloutCorrection.Rejection,
                    threshold: Double = 2, rejectionThreshold: Double = 2) -> RolloutCorrection.Outcome {
        RolloutCorrection(weighting: weighting, weightThreshold: threshold, rejection: rejection, rejectionThreshold: rejectionThreshold)
            .apply(trainer: Self.trainer, sampler: Self.sampler, mask: Self.mask)
    }

    func assertEqual(_ m: TokenMatrix, _ expected: [[Double]], file: StaticString = #filePath, line: UInt = #line) {
        for (x, y) in zip(m.values, expected.flatMap { $0 }) { XCTAssertEqual(x, y, accuracy: 1e-12, file: file, line: line) }
    }

    func testTokenTruncatedImportanceSampling() {
        let out = correction(.token, .none)
        // min(ρ, 2): 3 → 2 (truncated), the rest as they are; the untrained cell keeps 1.
        assertEqual(out.weights, [[2, 0.5, 1], [1, 1.5, 0.25]])
        XCTAssertEqual(out.mask, Self.mask)
        XCTAssertEqual(out.metrics["rollout_is_truncated_fraction"]!, 1.0 / 5, accuracy: 1e-12)
        XCTAssertEqual(out.metrics["rollout_rs_masked_fraction"], 0)
        XCTAssertEqual(out.metrics["rollout_is_weight_mean"]!, (2 + 0.5 + 1 + 1.5 + 0.25) / 5, accuracy: 1e-12)
        // |log ρ|: ln 3, ln 2, 0, ln 1.5, ln 4.
        XCTAssertEqual(out.metrics["logprob_mismatch"]!, (log(3) + log(2) + log(1.5) + log(4)) / 5, accuracy: 1e-12)
        XCTAssertEqual(out.metrics["logprob_mismatch_max"]!, log(4), accuracy: 1e-12)
        // KL(π_s ‖ π_old): k1 = mean(−log ρ), k3 = mean(ρ − 1 − log ρ).
        XCTAssertEqual(out.metrics["sampler_kl"]!, -(log(3) + log(0.5) + log(1.5) + log(0.25)) / 5, accuracy: 1e-12)
        let k3 = [3, 0.5, 1, 1.5, 0.25].reduce(0.0) { $0 + $1 - 1 - log($1) } / 5
        XCTAssertEqual(out.metrics["sampler_k3_kl"]!, k3, accuracy: 1e-12)
    }

    func testSequenceTruncatedImportanceSampling() {
        // Products: 3 · 0.5 = 1.5 and 1 · 1.5 · 0.25 = 0.375, broadcast over each sequence's trained tokens.
        assertEqual(correction(.sequence, .none).weights, [[1.5, 1.5, 1], [0.375, 0.375, 0.375]])
        let truncated = correction(.sequence, .none, threshold: 1.2)
        assertEqual(truncated.weights, [[1.2, 1.2, 1], [0.375, 0.375, 0.375]])
        XCTAssertEqual(truncated.metrics["rollout_is_truncated_fraction"]!, 2.0 / 5, accuracy: 1e-12)
    }

    func testTokenMaskedImportanceSampling() {
        // Outside [1/2.5, 2.5]: 3 and 0.25.
        let out = correction(.none, .token, rejectionThreshold: 2.5)
        XCTAssertEqual(out.mask, try TokenMatrix([[0, 1, 0], [1, 1, 0]]))
        XCTAssertEqual(out.weights, TokenMatrix(rows: 2, columns: 3, repeating: 1))
        XCTAssertEqual(out.metrics["rollout_rs_masked_fraction"]!, 2.0 / 5, accuracy: 1e-12)
        XCTAssertEqual(out.metrics["rollout_is_truncated_fraction"], 0)
    }

    func testSequenceMaskedImportanceSampling() {
        // Product 1.5 stays, 0.375 < 1/2 drops the whole second sequence.
        let sum = correction(.none, .sequenceSum)
        XCTAssertEqual(sum.mask, try TokenMatrix([[1, 1, 0], [0, 0, 0]]))
        XCTAssertEqual(sum.metrics["rollout_rs_masked_fraction"]!, 3.0 / 5, accuracy: 1e-12)
        // Geometric means √1.5 ≈ 1.225 and 0.375^(1/3) ≈ 0.721: both inside [1/2, 2]; inside [1/1.3, 1.3] only the first.
        XCTAssertEqual(correction(.none, .sequenceMean).mask, Self.mask)
        XCTAssertEqual(correction(.none, .sequenceMean, rejectionThreshold: 1.3).mask, try TokenMatrix([[1, 1, 0], [0, 0, 0]]))
        XCTAssertEqual(correction(.none, .sequenceMean, rejectionThreshold: 1.2).mask, TokenMatrix(rows: 2, columns: 3))
    }

    /// Weights and mask together: the weight mean is over the kept tokens only.
    func testWeightsAndMaskTogether() {
        let out = correction(.token, .token, threshold: 1.4, rejectionThreshold: 2.5)
        assertEqual(out.weights, [[1.4, 0.5, 1], [1, 1.4, 0.25]])
        XCTAssertEqual(out.mask, try TokenMatrix([[0, 1, 0], [1, 1, 0]]))
        XCTAssertEqual(out.metrics["rollout_is_weight_mean"]!, (0.5 + 1 + 1.4) / 3, accuracy: 1e-12)
        XCTAssertEqual(out.metrics["rollout_is_truncated_fraction"]!, 2.0 / 5, accuracy: 1e-12)
    }

    /// Identical log-probs: every weight 1, nothing masked, every distance 0.
    func testIdenticalPoliciesAreLeftAlone() {
        let same = RolloutCorrection(weighting: .token, rejection: .token).apply(trainer: Self.sampler, sampler: Self.sampler, mask: Self.mask)
        XCTAssertEqual(same.weights, TokenMatrix(rows: 2, columns: 3, repeating: 1))
        XCTAssertEqual(same.mask, Self.mask)
        for key in ["logprob_mismatch", "logprob_mismatch_max", "sampler_kl", "sampler_k3_kl", "rollout_is_truncated_fraction",
                    "rollout_rs_masked_fraction"] {
            XCTAssertEqual(same.metrics[key], 0, key)
        }
        XCTAssertEqual(same.metrics["rollout_is_weight_mean"], 1)
    }

    func testAutoTurnsTheCorrectionOnForARemoteSamplerOnly() {
        let auto = RolloutCorrection()
        XCTAssertEqual(auto.resolved(remoteSampler: false).weighting, .none)
        XCTAssertEqual(auto.resolved(remoteSampler: false).rejection, .none)
        XCTAssertEqual(auto.resolved(remoteSampler: true).weighting, .token)
        XCTAssertEqual(auto.resolved(remoteSampler: true).rejection, .sequenceMean)
        let chosen = RolloutCorrection(weighting: .sequence, rejection: .none)
        XCTAssertEqual(chosen.resolved(remoteSampler: true), chosen)
    }

    /// The policy loss with token weights: value `Σ w_agg·ρ·L_t` and gradient `w_agg·ρ·∂L_t/∂log π` for every loss; for
    /// PPO clip (no stop-gradient in its value) also by central differences of the weighted aggregate.
    func testWeightedPolicyLossAndItsGradient() {
        let batch = PolicyLossGradientTests.batch(seed: 11, tokenAdvantages: false)
        var rng = SeededGenerator(seed: 4)
        let rho = batch.mask.map { _ in 0.3 + 1.5 * rng.nextDouble() }
        let settings = PolicyLossSettings()
        let aggregation = LossAggregation.seqMeanTokenMean.weights(mask: batch.mask)
        for loss in PolicyLoss.all {
            let weighted = loss(batch.input, settings: settings, aggregation: .seqMeanTokenMean, tokenWeights: rho)
            let terms = loss.tokenLoss(batch.input, settings: settings)
            var expected = 0.0
            for i in rho.values.indices {
                expected += aggregation.values[i] * rho.values[i] * terms.values.values[i]
                XCTAssertEqual(weighted.gradLogProbs.values[i], aggregation.values[i] * rho.values[i] * terms.gradients.values[i],
                               accuracy: 1e-12, loss.name)
            }
            XCTAssertEqual(weighted.loss, expected, accuracy: 1e-12, loss.name)
        }
        let h = 1e-6
        let ppo = PolicyLoss.ppoClip(batch.input, settings: settings, aggregation: .seqMeanTokenMean, tokenWeights: rho)
        var checked = 0
        for i in batch.mask.values.indices where batch.mask.values[i] > 0 && batch.advantages.values[i] != 0 {
            func value(_ shift: Double) -> Double {
                var input = batch.input
                input.logProbs.values[i] += shift
                return PolicyLoss.ppoClip(input, settings: settings, aggregation: .seqMeanTokenMean, tokenWeights: rho).loss
            }
            XCTAssertEqual(ppo.gradLogProbs.values[i], (value(h) - value(-h)) / (2 * h), accuracy: 1e-6, "cell \(i)")
            checked += 1
        }
        XCTAssertGreaterThan(checked, 10)
    }

    func testKeysAndTheirErrors() throws {
        var config = AlgorithmPreset.grpo.config
        XCTAssertEqual(config.value(of: "algorithm.rollout_correction.rollout_is"), "auto")
        try config.apply(overrides: ["algorithm.rollout_correction.rollout_is=sequence", "algorithm.rollout_correction.rollout_rs=seq_sum_k1",
                                     "algorithm.rollout_correction.rollout_is_threshold=3", "algorithm.rollout_correction.rollout_rs_threshold=1.5"])
        XCTAssertEqual(config.algorithm.rolloutCorrection,
                       RolloutCorrection(weighting: .sequence, weightThreshold: 3, rejection: .sequenceSum, rejectionThreshold: 1.5))
        // A YAML null (empty text) is verl's `null`.
        try config.apply([ConfigSetting(key: "algorithm.rollout_correction.rollout_rs", value: "")], source: "c.yaml")
        XCTAssertEqual(config.algorithm.rolloutCorrection.rejection, .none)
        XCTAssertThrowsError(try config.apply(overrides: ["algorithm.rollout_correction.rollout_rs_threshold=1"])) { error in
            XCTAssertEqual((error as? InputError)?.field, "algorithm.rollout_correction.rollout_rs_threshold")
        }
        XCTAssertThrowsError(try config.apply(overrides: ["algorithm.rollout_correction.rollout_is_threshold=0.5"])) { error in
            XCTAssertEqual((error as? InputError)?.field, "algorithm.rollout_correction.rollout_is_threshold")
        }
        XCTAssertThrowsError(try config.apply(overrides: ["algorithm.rollout_correction.rollout_is=geometric"])) { error in
            XCTAssertEqual((error as? InputError)?.message, "expected one of auto, null, token, sequence, got 'geometric'")
        }
    }
}
