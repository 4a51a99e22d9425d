import AEPOAgent
import AEPOAlgorithms
import AEPOCore
import AEPOModel
import AEPORollout
import AEPOTestSupport
import AEPOTools
@testable import AEPOTraining
import XCTest

/// The gradient a policy update accumulates into the model equals the derivative of the aggregated loss
/// (objective over the model's log-probs, micro-batches summed with the mini-batch's counts), against a central
/// difference along a random direction — on real trajectories rolled out by the tiny model. (Losses whose gradient
/// is defined through a stop-gradient rather than as the derivative of their value — EBPO's upper clip, GSPO's
/// sequence ratio, CISPO, GPPO — are checked against reference gradients in the algorithms' tests.)
final class PolicyUpdateGradientTests: XCTestCase {
    /// `offsets`: per sequence, `log π_old − log π_θ` (so every ratio is clear of the clip boundaries); `step`: the
    /// central difference's step along the random direction.
    func check(preset: String, extra: [String], microBatchSize: Int, offsets: [Double] = [-0.5, -0.05, 0.05, 0.5],
               step: Float = 1e-3) throws {
        let run = try Fixtures.temporaryDirectory("fd")
        defer { try? FileManager.default.removeItem(at: run) }
        let config = try TrainingConfig.resolve(algorithm: preset, file: nil, overrides: TrainingFixture.settings(run: run) + extra)
        let trainer = try Trainer(config: config, phase: .rl)
        let model = trainer.model
        let tensors = RolloutTensors(try TrainingFixture.rollout(trainer).trajectories)
        XCTAssertGreaterThan(tensors.cells.count, 20)

        // Old log-probs off the current ones by a fixed step per sequence; random advantages.
        let (current, entropies0) = try tensors.evaluate(model, chunk: 0)
        var generator = SeededGenerator(seed: 8)
        var old = current, advantages = TokenMatrix(rows: tensors.rows, columns: tensors.columns)
        for cell in tensors.cells {
            old.values[cell] += offsets[(cell / tensors.columns) % offsets.count]
            advantages.values[cell] = generator.nextGaussian()
        }
        let objective = try config.algorithm.actorObjective()
        // With the KL loss, reference log-probs off the current ones by a random amount per token.
        let ref: TokenMatrix? = objective.klLoss == nil ? nil : TokenMatrix(
            rows: tensors.rows, columns: tensors.columns, values: current.values.map { $0 + 0.3 * generator.nextGaussian() })
        let update = PolicyUpdate(objective: objective, microBatchSize: microBatchSize)
        let rows = Array(0..<tensors.rows)

        model.zeroGradients()
        let summary = try update.accumulate(into: model, tensors: tensors, rows: rows, oldLogProbs: old, advantages: advantages,
                                        refLogProbs: ref)
        let gradient = Array(model.gradients)
        model.zeroGradients()

        // The reference: the aggregated loss from forward passes alone (the entropy-aware advantage's entropies detached).
        let tokenCount = Double(tensors.cells.count)
        let sequenceCount = Double(rows.filter { b in (0..<tensors.columns).contains { tensors.mask[b, $0] > 0 } }.count)
        func loss() throws -> Double {
            var total = 0.0
            let size = microBatchSize > 0 ? microBatchSize : rows.count
            for start in stride(from: 0, to: rows.count, by: size) {
                let chunk = Array(start..<min(start + size, rows.count))
                let (forwardBatch, cells) = tensors.batch(rows: chunk)
                if forwardBatch.targets.isEmpty { continue }
                let out = try model.forward(forwardBatch)
                func local(_ cell: Int) -> Int { (cell / tensors.columns - start) * tensors.columns + cell % tensors.columns }
                var mask = TokenMatrix(rows: chunk.count, columns: tensors.columns)
                var o = mask, lp = mask, a = mask, h = mask, r = mask
                for (i, cell) in cells.enumerated() {
                    let l = local(cell)
                    mask.values[l] = 1
                    r.values[l] = ref?.values[cell] ?? 0
                    o.values[l] = old.values[cell]
                    lp.values[l] = Double(out.logProbs[i])
                    a.values[l] = advantages.values[cell]
                    h.values[l] = objective.entropyAdvantageCoefficient != nil ? entropies0.values[cell] : Double(out.entropies[i])
                }
                total += objective(PolicyLossInput(oldLogProbs: o, logProbs: lp, advantages: a, mask: mask), entropies: h,
                                   refLogProbs: ref == nil ? nil : r, tokenCount: tokenCount, sequenceCount: sequenceCount).loss
            }
            return total
        }
        XCTAssertEqual(try loss(), summary.loss, accuracy: 1e-9 + 1e-6 * abs(summary.loss), preset)
        if ref != nil { XCTAssertGreaterThan(summary.klLoss, 0.01, preset) }

        let original = model.parameterValues
        let direction = original.map { _ in Float(generator.nextGaussian()) }
        let analytic = zip(gradient, direction).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let h = step
        for i in original.indices { model.parameters[i] = original[i] + h * direction[i] }
        let plus = try loss()
        for i in original.indices { model.parameters[i] = original[i] - h * direction[i] }
        let minus = try loss()
        for i in original.indices { model.parameters[i] = original[i] }
        let numeric = (plus - minus) / Double(2 * h)
        XCTAssertGreaterThan(abs(numeric), 1e-2, preset)
        XCTAssertEqual(analytic, numeric, accuracy: 3e-3 * max(1, abs(numeric)), preset)
    }

    /// EBPO's upper clip keeps a gradient where the value is flat (docs/algorithm.md §5.3), so no ratio is put above 1 + ε_h here.
    func testAEPOUpdateMatchesTheDerivativeOfItsLoss() throws {
        try check(preset: "aepo", extra: [], microBatchSize: 0, offsets: [0.5, -0.05, 0.05, 0.3])
    }

    func testMicroBatchedPPOUpdateWithEntropyBonusMatches() throws {
        try check(preset: "grpo", extra: ["actor.entropy_coeff=0.05"], microBatchSize: 3)
    }

    /// The KL-to-reference loss (k3, then k2 with sequence-mean aggregation) adds its exact derivative. (The token-sum
    /// loss curves more along the direction: the smaller step keeps the difference's third-order error below tolerance.)
    func testUpdateWithKLLossMatches() throws {
        try check(preset: "grpo", extra: ["actor.use_kl_loss=true", "actor.kl_loss_coef=0.5"], microBatchSize: 3)
        try check(preset: "dapo", extra: ["actor.use_kl_loss=true", "actor.kl_loss_type=k2", "actor.kl_loss_coef=0.5",
                                          "actor.loss_agg_mode=seq-mean-token-sum", "algorithm.overlong_buffer.len=8"], microBatchSize: 0, step: 3e-4)
    }

    /// Sequence-mean aggregation across micro-batches (the divisor is the mini-batch's sequence count).
    func testMicroBatchedSequenceMeanAggregationMatches() throws {
        try check(preset: "reinforce++", extra: ["actor.loss_agg_mode=seq-mean-token-mean"], microBatchSize: 3)
    }
}

/// AEPO's entropy z-score is taken over the whole mini-batch, so the micro-batch size (a memory setting) does not
/// change the update.
final class PolicyUpdateMicroBatchTests: XCTestCase {
    func testMicroBatchSizeDoesNotChangeTheAEPOUpdate() throws {
        let run = try Fixtures.temporaryDirectory("micro")
        defer { try? FileManager.default.removeItem(at: run) }
        let config = try TrainingConfig.resolve(algorithm: "aepo", file: nil, overrides: TrainingFixture.settings(run: run))
        let trainer = try Trainer(config: config, phase: .rl)
        let model = trainer.model
        let tensors = RolloutTensors(try TrainingFixture.rollout(trainer).trajectories)
        var old = try tensors.evaluate(model, chunk: 0).logProbs
        var advantages = TokenMatrix(rows: tensors.rows, columns: tensors.columns)
        var generator = SeededGenerator(seed: 8)
        for cell in tensors.cells {
            old.values[cell] += 0.1 * generator.nextGaussian()
            advantages.values[cell] = generator.nextGaussian()
        }
        let rows = Array(0..<tensors.rows)
        func gradient(microBatchSize: Int) throws -> (loss: Double, gradient: [Float]) {
            model.zeroGradients()
            let update = PolicyUpdate(objective: try config.algorithm.actorObjective(), microBatchSize: microBatchSize)
            let summary = try update.accumulate(into: model, tensors: tensors, rows: rows, oldLogProbs: old, advantages: advantages)
            defer { model.zeroGradients() }
            // The reported factors are 1 + 0.2·z over the whole mini-batch's tokens, whatever the micro-batch size.
            let h = summary.tokenEntropies
            let mean = h.reduce(0, +) / Double(h.count)
            let std = (h.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(h.count - 1)).squareRoot()
            XCTAssertEqual(summary.entropyAdvantageWeights.count, h.count)
            for (weight, entropy) in zip(summary.entropyAdvantageWeights, h) {
                XCTAssertEqual(weight, 1 + 0.2 * (entropy - mean) / std, accuracy: 1e-9)
            }
            let metrics = summary.metrics
            XCTAssertEqual(metrics["entropy_adv_weight_max"], summary.entropyAdvantageWeights.max())
            XCTAssertGreaterThan(metrics["entropy_adv_weight_q4"] ?? 0, 1, "the highest-entropy quarter is weighted up")
            return (summary.loss, Array(model.gradients))
        }
        let whole = try gradient(microBatchSize: 0)
        let scale = Double(whole.gradient.map(abs).max()!)
        XCTAssertGreaterThan(scale, 1e-3)
        for size in [1, 3] {
            let split = try gradient(microBatchSize: size)
            XCTAssertEqual(split.loss, whole.loss, accuracy: 1e-6 * max(1, abs(whole.loss)), "micro-batch \(size)")
            let worst = zip(split.gradient, whole.gradient).map { Double(abs($0 - $1)) }.max()!
            XCTAssertLessThan(worst, 1e-4 * scale, "micro-batch \(size)")
        }
    }
}
