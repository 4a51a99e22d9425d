import AEPOAlgorithms
import AEPOCore
import AEPOTestSupport
import Foundation
import XCTest

/// Every closed-form gradient against central finite differences in Double.
///
/// Losses with a stop-gradient (`sg`) are differentiated through their surrogate, written here the way an
/// autograd library evaluates it: the detached quantities are frozen at the evaluation point.
final class PolicyLossGradientTests: XCTestCase {
    struct Batch {
        var old: TokenMatrix, logProbs: TokenMatrix, advantages: TokenMatrix, mask: TokenMatrix, entropies: TokenMatrix

        var input: PolicyLossInput {
            PolicyLossInput(oldLogProbs: old, logProbs: logProbs, advantages: advantages, mask: mask)
        }
    }

    /// Random B×T inputs with ragged lengths and a masked tool-output gap; wide ratios so every clip region occurs.
    /// `tokenAdvantages` varies the advantage along a sequence (as the entropy-aware transform does).
    static func batch(seed: UInt64, tokenAdvantages: Bool, rows: Int = 5, columns: Int = 7) -> Batch {
        var rng = SeededGenerator(seed: seed)
        var mask = TokenMatrix(rows: rows, columns: columns)
        for b in 0..<rows {
            let length = 2 + Int(rng.next() % UInt64(columns - 1))
            for t in 0..<length { mask[b, t] = 1 }
        }
        mask[0, 1] = 0
        var old = mask, lp = mask, adv = mask, h = mask
        for b in 0..<rows {
            let sequenceAdvantage = rng.nextGaussian()
            for t in 0..<columns {
                old[b, t] = -3 * rng.nextDouble() - 0.05
                lp[b, t] = old[b, t] + 0.45 * rng.nextGaussian()
                adv[b, t] = (tokenAdvantages ? rng.nextGaussian() : sequenceAdvantage) * mask[b, t]
                h[b, t] = 2.5 * rng.nextDouble()
            }
        }
        return Batch(old: old, logProbs: lp, advantages: adv, mask: mask, entropies: h)
    }

    /// Per-token surrogate value of `loss` at log-probs `lp`, with detached quantities taken at `lp0`.
    static func surrogate(_ loss: String, lp: TokenMatrix, lp0: TokenMatrix, batch: Batch, s: PolicyLossSettings) -> TokenMatrix {
        var out = TokenMatrix(rows: lp.rows, columns: lp.columns)
        let lo = 1 - s.clipRatioLow, hi = 1 + s.clipRatioHigh
        func dual(_ value: Double, _ a: Double) -> Double { a < 0 ? min(value, -a * s.clipRatioC) : value }
        for b in 0..<lp.rows {
            var seqLog = 0.0, count = 0.0
            for t in 0..<lp.columns {
                seqLog += (lp0[b, t] - batch.old[b, t]) * batch.mask[b, t]
                count += batch.mask[b, t]
            }
            seqLog /= max(count, 1)
            for t in 0..<lp.columns {
                let a = batch.advantages[b, t]
                let r = exp(lp[b, t] - batch.old[b, t]), r0 = exp(lp0[b, t] - batch.old[b, t])
                let unit = exp(lp[b, t] - lp0[b, t])  // δ / sg(δ)
                switch loss {
                case "ppo-clip":
                    out[b, t] = dual(max(-a * r, -a * min(max(r, lo), hi)), a)
                case "gspo":
                    let sr = exp(seqLog) * unit
                    out[b, t] = max(-a * sr, -a * min(max(sr, lo), hi))
                case "cispo":
                    out[b, t] = -min(max(r0, lo), hi) * a * lp[b, t]
                case "gppo":
                    let value = r0 < lo && a < 0 ? -s.gppoBetaLow * lo * unit * a
                        : r0 > hi && a > 0 ? -s.gppoBetaHigh * hi * unit * a : -r * a
                    out[b, t] = dual(value, a)
                case "ebpo":
                    let clipped = r0 > hi ? hi * unit : r0 < lo ? lo : r
                    out[b, t] = dual(max(-a * r, -a * clipped), a)
                default:
                    XCTFail("no surrogate for \(loss)")
                }
            }
        }
        return out
    }

    func testEveryLossGradientMatchesFiniteDifferences() {
        let settings = PolicyLossSettings(clipRatioLow: 0.2, clipRatioHigh: 0.28, clipRatioC: 1.4,
                                          gppoBetaLow: 0.5, gppoBetaHigh: 0.8)
        let gspoSettings = PolicyLossSettings(clipRatioLow: 0.05, clipRatioHigh: 0.08, clipRatioC: 3)
        for loss in PolicyLoss.all {
            for aggregation in LossAggregation.allCases {
                for seed: UInt64 in [1, 2, 3] {
                    // GSPO's gradient is defined through sg(s); with one advantage per sequence it is also the
                    // true derivative, and that is the case GSPO is used for.
                    let batch = Self.batch(seed: seed, tokenAdvantages: loss.name != "gspo")
                    let s = loss.name == "gspo" ? gspoSettings : settings
                    let result = loss(batch.input, settings: s, aggregation: aggregation)
                    let value = aggregation.aggregate(
                        Self.surrogate(loss.name, lp: batch.logProbs, lp0: batch.logProbs, batch: batch, s: s), mask: batch.mask)
                    XCTAssertEqual(result.loss, value, accuracy: 1e-12, "\(loss.name) \(aggregation) value")
                    let numeric = FiniteDifference.gradient(of: { x in
                        let lp = TokenMatrix(rows: batch.mask.rows, columns: batch.mask.columns, values: x)
                        return aggregation.aggregate(
                            Self.surrogate(loss.name, lp: lp, lp0: batch.logProbs, batch: batch, s: s), mask: batch.mask)
                    }, at: batch.logProbs.values, step: 1e-6)
                    XCTAssertLessThanOrEqual(FiniteDifference.maxError(result.gradLogProbs.values, numeric), 1e-7,
                                             "\(loss.name) \(aggregation) seed \(seed)")
                }
            }
        }
    }

    /// The test batches reach every clip region, so the gradients above are checked in each branch.
    func testBatchesExerciseEveryClipRegion() {
        let settings = PolicyLossSettings(clipRatioLow: 0.2, clipRatioHigh: 0.28, clipRatioC: 1.4)
        var regions = Set<ClipRegion>()
        for seed: UInt64 in [1, 2, 3] {
            let batch = Self.batch(seed: seed, tokenAdvantages: true)
            for i in batch.mask.values.indices where batch.mask.values[i] > 0 {
                let ratio = exp(batch.logProbs.values[i] - batch.old.values[i])
                regions.insert(ClipRegion(ratio: ratio, advantage: batch.advantages.values[i], settings: settings))
            }
        }
        XCTAssertEqual(regions, [.unclipped, .low, .high, .dual])
    }

    func testEBPOGradientFactorFollowsTheSpec() {
        let s = PolicyLossSettings(clipRatioLow: 0.2, clipRatioHigh: 0.2, clipRatioC: 3)
        let mask = TokenMatrix(rows: 1, columns: 5, repeating: 1)
        // ratios 1.5 (A>0: F = 1.2), 0.5 (A<0: F = 0), 1.1 (F = δ), 1.5 (A<0: F = δ), 4.0 (A<0: dual clip, 0)
        let ratios = [1.5, 0.5, 1.1, 1.5, 4.0], advantages = [2.0, -1.0, 0.5, -1.0, -1.0]
        let input = PolicyLossInput(oldLogProbs: TokenMatrix(rows: 1, columns: 5), logProbs: TokenMatrix(rows: 1, columns: 5, values: ratios.map(log)),
                                    advantages: TokenMatrix(rows: 1, columns: 5, values: advantages), mask: mask)
        let terms = PolicyLoss.ebpo.tokenLoss(input, settings: s)
        let expected = [-1.2 * 2, 0, -1.1 * 0.5, 1.5, 0]
        for (got, want) in zip(terms.gradients.values, expected) { XCTAssertEqual(got, want, accuracy: 1e-12) }
        let ppo = PolicyLoss.ppoClip.tokenLoss(input, settings: s)
        XCTAssertEqual(terms.values, ppo.values, "EBPO's value is PPO's")
        XCTAssertEqual(ppo.gradients.values[0], 0, "PPO drops the clipped positive token")
    }

    func testKLEstimatorsGradientsMatchFiniteDifferences() {
        for estimator in KLPenalty.allCases {
            for (lp, ref) in [(-1.3, -0.9), (-0.2, -2.5), (-4.0, -3.1), (-30.0, -1.0)] {
                let numeric = FiniteDifference.gradient(of: { estimator.term(logProb: $0[0], refLogProb: ref).value },
                                                        at: [lp], step: 1e-6)[0]
                XCTAssertEqual(estimator.term(logProb: lp, refLogProb: ref).gradient, numeric, accuracy: 1e-6,
                               "\(estimator) at \(lp), \(ref)")
            }
        }
        // Closed forms: k1 = d, k2 = d²/2, k3 = e^{-d} + d − 1.
        let d = -0.4
        XCTAssertEqual(KLPenalty.k1.term(logProb: d, refLogProb: 0).value, d, accuracy: 1e-15)
        XCTAssertEqual(KLPenalty.k2.term(logProb: d, refLogProb: 0).value, d * d / 2, accuracy: 1e-15)
        XCTAssertEqual(KLPenalty.k3.term(logProb: d, refLogProb: 0).value, exp(-d) + d - 1, accuracy: 1e-15)
    }

    func testKLInRewardSubtractsOnValidTokensOnly() {
        let mask = TokenMatrix(rows: 1, columns: 3, values: [1, 0, 1])
        let rewards = TokenMatrix(rows: 1, columns: 3, values: [0, 0, 1])
        let lp = TokenMatrix(rows: 1, columns: 3, values: [-1, -1, -1]), ref = TokenMatrix(rows: 1, columns: 3, values: [-1.5, -1.5, -1.5])
        let out = KLPenalty.k1.penalizedRewards(rewards, logProbs: lp, refLogProbs: ref, mask: mask, coefficient: 0.1)
        XCTAssertEqual(out.values[0], -0.05, accuracy: 1e-15)
        XCTAssertEqual(out.values[1], 0)
        XCTAssertEqual(out.values[2], 0.95, accuracy: 1e-15)
    }

    /// The full actor objective: PPO + β·KL(k3) − c·entropy, differentiated in log-probs and in entropies.
    func testActorObjectiveGradientsMatchFiniteDifferences() {
        let batch = Self.batch(seed: 9, tokenAdvantages: true)
        var rng = SeededGenerator(seed: 10)
        let ref = batch.logProbs.map { $0 + 0.3 * rng.nextGaussian() }
        for aggregation in LossAggregation.allCases {
            let objective = ActorObjective(policyLoss: .ppoClip, aggregation: aggregation,
                                           klLoss: (.k3, 0.1), entropyCoefficient: 0.01)
            let result = objective(batch.input, entropies: batch.entropies, refLogProbs: ref)
            let inLogProbs = FiniteDifference.gradient(of: { x in
                var input = batch.input
                input.logProbs = TokenMatrix(rows: batch.mask.rows, columns: batch.mask.columns, values: x)
                return objective(input, entropies: batch.entropies, refLogProbs: ref).loss
            }, at: batch.logProbs.values, step: 1e-6)
            XCTAssertLessThanOrEqual(FiniteDifference.maxError(result.gradLogProbs.values, inLogProbs), 1e-7, "\(aggregation)")
            let inEntropies = FiniteDifference.gradient(of: { x in
                objective(batch.input, entropies: TokenMatrix(rows: batch.mask.rows, columns: batch.mask.columns, values: x),
                          refLogProbs: ref).loss
            }, at: batch.entropies.values, step: 1e-6)
            XCTAssertLessThanOrEqual(FiniteDifference.maxError(result.gradEntropies.values, inEntropies), 1e-8, "\(aggregation)")
            XCTAssertNotEqual(result.klLoss, 0)
            XCTAssertEqual(result.loss, result.policyLoss + 0.1 * result.klLoss - 0.01 * result.entropy, accuracy: 1e-12)
        }
    }

    func testAggregationWeightsClosedForm() {
        // Row 0: 2 valid tokens, row 1: 3 valid, row 2: none.
        let mask = TokenMatrix(rows: 3, columns: 3, values: [1, 1, 0, 1, 1, 1, 0, 0, 0])
        let losses = TokenMatrix(rows: 3, columns: 3, values: [1, 2, 100, 3, 4, 5, 100, 100, 100])
        XCTAssertEqual(LossAggregation.tokenMean.aggregate(losses, mask: mask), 15.0 / 5, accuracy: 1e-12)
        XCTAssertEqual(LossAggregation.seqMeanTokenSum.aggregate(losses, mask: mask), (3.0 + 12) / 2, accuracy: 1e-12)
        XCTAssertEqual(LossAggregation.seqMeanTokenMean.aggregate(losses, mask: mask), (1.5 + 4) / 2, accuracy: 1e-7)
        XCTAssertEqual(LossAggregation.tokenMean.aggregate(losses, mask: mask, tokenCount: 10), 1.5, accuracy: 1e-12)
        XCTAssertEqual(LossAggregation.seqMeanTokenSum.aggregate(losses, mask: mask, sequenceCount: 5), 3, accuracy: 1e-12)
    }

    func testClipStatisticsCountValidTokens() {
        let s = PolicyLossSettings(clipRatioLow: 0.2, clipRatioHigh: 0.2, clipRatioC: 3)
        let ratios = [0.5, 1.5, 4.0, 1.0, 0.5]
        let input = PolicyLossInput(oldLogProbs: TokenMatrix(rows: 1, columns: 5),
                                    logProbs: TokenMatrix(rows: 1, columns: 5, values: ratios.map(log)),
                                    advantages: TokenMatrix(rows: 1, columns: 5, values: [-1, 1, -1, 1, -1]),
                                    mask: TokenMatrix(rows: 1, columns: 5, values: [1, 1, 1, 1, 0]))
        let stats = PolicyLoss.ppoClip(input, settings: s, aggregation: .tokenMean).statistics
        XCTAssertEqual(stats.clippedLowFraction, 0.25)
        XCTAssertEqual(stats.clippedHighFraction, 0.25)
        XCTAssertEqual(stats.dualClipFraction, 0.25)
        XCTAssertEqual(stats.approxKL, -(log(0.5) + log(1.5) + log(4.0)) / 4, accuracy: 1e-12)
    }
}
