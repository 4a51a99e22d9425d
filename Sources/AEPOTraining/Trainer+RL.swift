import AEPOAgent
import AEPOAlgorithms
import AEPOCore
import AEPOModel
import AEPORollout
import Foundation

extension Trainer {
    /// One RL step: rollout (with DAPO's dynamic sampling when on) → rewards (with the overlong penalty when on)
    /// → old-policy (and, with a KL term, reference) log-probs by the training forward → advantages → `actor.ppo_epochs`
    /// passes of mini-batch updates (`PolicyUpdate`, clip, AdamW).
    ///
    /// KL in the reward (`algorithm.use_kl_in_reward`, verl's `apply_kl_penalty`): the outcome score sits on each
    /// sequence's last trained token and every trained token t gets `− kl_coef · KL_t(log π_old, log π_ref)`
    /// (`algorithm.kl_penalty`); the estimators then see these token rewards (GRPO-like ones their sum per sequence,
    /// `R − kl_coef · Σ_t KL_t`; REINFORCE++ the per-token returns). The KL loss (`actor.use_kl_loss`) adds
    /// `kl_loss_coef · agg(KL_t(log π_θ, log π_ref))` to the actor loss.
    func rlStep(seed: UInt64) throws -> [String: Double] {
        let a = config.algorithm
        var rng = SeededGenerator(seed: seed)
        var metrics: [String: Double] = [:]

        // Rollout.
        let rolloutClock = Date()
        let engine = InferenceEngine(model: model)
        let sampler = NativeSampler(engine: engine, sampling: SamplingSettings(temperature: Float(a.rollout.temperature)))
        let agent = AgentLoop(backend: sampler, tokenizer: tokenizer, environment: benchmark.environment, settings: a.rollout.agentSettings)
        let rollout = Rollout(agent: agent, settings: a.rollout.rolloutSettings)
        let shaping = a.algorithm.overlongBuffer
            ? OverlongRewardShaping(maxLength: a.rollout.responseLength, bufferLength: a.algorithm.overlongBufferLength,
                                    penaltyFactor: a.algorithm.overlongPenaltyFactor)
            : nil
        let target = a.data.trainBatchSize
        var groups: [[Trajectory]] = [], scores: [[Double]] = []
        var branching = BranchStatistics()
        var rounds = 0, dropped = 0, generated = 0, monitorTokens = 0, questionsRolledOut = 0
        repeat {
            let batch = state.cursor.next(target - groups.count).map { questions[$0] }
            let result = try rollout.run(batch, generator: SeededGenerator(seed: rng.next()))
            rounds += 1
            generated += result.report.generatedTokens
            monitorTokens += result.report.preMonitorTokens
            branching.add(result)
            var roundScores: [[Double]] = [], kept: [Bool] = []
            for group in result.groups {
                let s = group.map { shaping?.shaped(score: $0.reward.value, length: $0.policyTokenCount) ?? $0.reward.value }
                let informative = !a.algorithm.filterGroups || !DynamicSampling.informativeGroups(scores: s, groupIDs: s.map { _ in 0 }).isEmpty
                roundScores.append(s)
                kept.append(informative)
                if informative {
                    groups.append(group)
                    scores.append(s)
                } else {
                    dropped += 1
                }
            }
            try rolloutLog?.record(step: state.step + 1, batch: result, firstQuestion: questionsRolledOut, scores: roundScores, trained: kept)
            questionsRolledOut += result.groups.count
        } while a.algorithm.filterGroups && groups.count < target && rounds < a.algorithm.filterGroupsMaxGenBatches
        let rolloutSeconds = Date().timeIntervalSince(rolloutClock)
        metrics["time/rollout_s"] = rolloutSeconds
        metrics["tokens_per_s"] = Double(generated + monitorTokens) / max(rolloutSeconds, 1e-9)
        metrics["generation_rounds"] = Double(rounds)
        metrics["dropped_groups"] = Double(dropped)
        metrics["premonitor_tokens"] = Double(monitorTokens)
        metrics.merge(branching.metrics) { $1 }

        let trajectories = groups.flatMap { $0 }
        let flatScores = scores.flatMap { $0 }
        guard !trajectories.isEmpty else {
            log("step \(state.step + 1): every group was dropped by dynamic sampling; no update")
            return metrics
        }
        metrics["reward"] = flatScores.reduce(0, +) / Double(flatScores.count)
        metrics["accuracy"] = trajectories.reduce(0.0) { $0 + ($1.reward.exactMatch ? 1 : 0) } / Double(trajectories.count)
        metrics["f1"] = trajectories.reduce(0.0) { $0 + $1.reward.f1 } / Double(trajectories.count)
        metrics["response_length"] = Double(trajectories.reduce(0) { $0 + $1.policyTokenCount }) / Double(trajectories.count)
        metrics["tool_calls"] = Double(trajectories.reduce(0) { $0 + $1.toolCalls.count }) / Double(trajectories.count)
        metrics["questions"] = Double(groups.count)

        // The old policy's (and the reference's) log-probs by the training forward, then advantages.
        let tensors = RolloutTensors(trajectories)
        let oldClock = Date()
        let old = tensors.evaluate(model, chunk: config.trainer.microBatchSize).logProbs
        metrics["time/old_logprob_s"] = Date().timeIntervalSince(oldClock)
        var mismatch = 0.0
        for (b, t) in trajectories.enumerated() {
            for (j, m) in t.lossMask.enumerated() where m == 1 {
                mismatch += abs(old[b, j] - Double(t.policyLogProbs[j]))
            }
        }
        metrics["logprob_mismatch"] = mismatch / Double(max(tensors.cells.count, 1))
        let refClock = Date()
        let ref = reference.map { tensors.evaluate($0, chunk: config.trainer.microBatchSize).logProbs }
        if let ref {
            metrics["time/ref_logprob_s"] = Date().timeIntervalSince(refClock)
            let estimator = a.actor.useKLLoss ? a.actor.klLossType : a.algorithm.klPenalty
            metrics["kl_ref"] = tensors.cells.reduce(0.0) { $0 + estimator.term(logProb: old.values[$1], refLogProb: ref.values[$1]).value }
                / Double(max(tensors.cells.count, 1))
        }
        let groupIDs = groups.enumerated().flatMap { g, members in [Int](repeating: g, count: members.count) }
        var input = AdvantageInput(scores: flatScores, groupIDs: groupIDs, mask: tensors.mask)
        if a.algorithm.useKLInReward, let ref {
            input.tokenRewards = a.algorithm.klPenalty.penalizedRewards(input.tokenRewards, logProbs: old, refLogProbs: ref,
                                                                        mask: tensors.mask, coefficient: a.algorithm.klCoef)
            metrics["kl_reward_penalty"] = zip(flatScores, input.sequenceScores).reduce(0.0) { $0 + $1.0 - $1.1 } / Double(flatScores.count)
        }
        let advantages = try a.advantageEstimator()(input, options: a.advantageOptions)

        // Mini-batch updates.
        let updateClock = Date()
        let update = PolicyUpdate(objective: try a.actorObjective(), microBatchSize: config.trainer.microBatchSize)
        var firstRow = [0]
        for group in groups { firstRow.append(firstRow.last! + group.count) }
        var totals = PolicyUpdate.Summary()
        var norms: [Double] = [], losses: [Double] = []
        for _ in 0..<a.actor.ppoEpochs {
            var order = Array(groups.indices)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            for start in stride(from: 0, to: order.count, by: a.actor.ppoMiniBatchSize) {
                let rows = order[start..<min(start + a.actor.ppoMiniBatchSize, order.count)].flatMap { Array(firstRow[$0]..<firstRow[$0 + 1]) }
                let summary = update.accumulate(into: model, tensors: tensors, rows: rows, oldLogProbs: old, advantages: advantages,
                                                refLogProbs: ref)
                norms.append(applyGradients(loss: summary.loss, maxNorm: a.actor.gradClip))
                losses.append(summary.loss)
                totals.merge(summary)
            }
        }
        metrics["time/update_s"] = Date().timeIntervalSince(updateClock)
        metrics["loss"] = losses.reduce(0, +) / Double(max(losses.count, 1))
        if a.actor.useKLLoss { metrics["kl_loss"] = totals.klLoss / Double(max(losses.count, 1)) }
        metrics["grad_norm"] = norms.filter(\.isFinite).reduce(0, +) / Double(max(norms.filter(\.isFinite).count, 1))
        metrics.merge(totals.metrics) { $1 }
        return metrics
    }
}

extension PolicyUpdate.Summary {
    /// Adds `other`'s token-weighted statistics.
    mutating func merge(_ other: PolicyUpdate.Summary) {
        let n = tokens + other.tokens
        guard n > 0 else { return }
        for path in [\PolicyUpdate.Summary.clippedLow, \.clippedHigh, \.dualClipped, \.approxKL, \.entropy] {
            self[keyPath: path] = (self[keyPath: path] * tokens + other[keyPath: path] * other.tokens) / n
        }
        tokens = n
        loss += other.loss
        klLoss += other.klLoss
        tokenEntropies += other.tokenEntropies
        highClipped += other.highClipped
    }

    /// Entropy, clip fractions, KL to the old policy, and the high-side clip fraction per entropy quartile
    /// (`clip_high_entropy_q1` the lowest-entropy quarter of the trained tokens).
    var metrics: [String: Double] {
        var m: [String: Double] = ["entropy": entropy, "clip_frac_low": clippedLow, "clip_frac_high": clippedHigh,
                                   "clip_frac_dual": dualClipped, "kl": approxKL]
        let order = tokenEntropies.indices.sorted { tokenEntropies[$0] < tokenEntropies[$1] }
        guard order.count >= 4 else { return m }
        for q in 0..<4 {
            let slice = order[(q * order.count / 4)..<((q + 1) * order.count / 4)]
            m["clip_high_entropy_q\(q + 1)"] = Double(slice.filter { highClipped[$0] }.count) / Double(max(slice.count, 1))
        }
        return m
    }
}
