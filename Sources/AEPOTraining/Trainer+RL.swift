import AEPOAgent
import AEPOAlgorithms
import AEPOCore
import AEPOModel
import AEPORollout
import Foundation

extension Trainer {
    /// One RL step, in the order of the algorithm (docs/algorithm.md §6.2): rollout (with DAPO's dynamic sampling when on)
    /// → rewards (with the overlong penalty when on) → old-policy (and, with a KL term, reference) log-probs by the
    /// training forward → advantages → `actor.ppo_epochs` passes of mini-batch updates (`PolicyUpdate`, clip, AdamW).
    /// An on-policy step (`updatesOnPolicy`) skips the separate old-policy pass: its one update's own forward gives the
    /// old log-probs (ratio exactly 1), and the rollout correction's metrics and `kl_ref` are reported from them after it.
    func rlStep(seed: UInt64) throws -> [String: Double] {
        var rng = SeededGenerator(seed: seed)
        var metrics: [String: Double] = [:]
        try syncServers(metrics: &metrics)
        let collection = try collectRollouts(using: &rng, metrics: &metrics)
        guard !collection.groups.isEmpty else {
            log("step \(state.step + 1): every group was dropped by dynamic sampling; no update")
            return metrics
        }
        metrics.merge(collection.outcomeMetrics) { $1 }
        let tensors = RolloutTensors(collection.trajectories)
        let sampler = samplerLogProbs(collection.trajectories, like: tensors.mask)
        let prior = updatesOnPolicy(groups: collection.groups.count) ? nil : try evaluateOldPolicy(tensors: tensors, metrics: &metrics)
        let ref = try evaluateReference(tensors: tensors, metrics: &metrics)
        let correction = prior.map { rolloutCorrection.apply(trainer: $0, sampler: sampler, mask: tensors.mask) }
        let advantages = try computeAdvantages(collection, tensors: tensors, old: prior, ref: ref, metrics: &metrics)
        let old = try updatePolicy(collection, tensors: correction.map { tensors.restricted(to: $0.mask) } ?? tensors, old: prior,
                                   ref: ref, advantages: advantages,
                                   importanceWeights: rolloutCorrection.weighting == .none ? nil : correction?.weights,
                                   using: &rng, metrics: &metrics)
        metrics.merge((correction ?? rolloutCorrection.apply(trainer: old, sampler: sampler, mask: tensors.mask)).metrics) { $1 }
        if let ref { metrics["kl_ref"] = klToReference(old: old, ref: ref, cells: tensors.cells) }
        return metrics
    }

    /// Whether this step's update is on-policy, so that its own forward gives the old policy's log-probs (docs/algorithm.md
    /// §6.2): `trainer.old_logprob_pass` `auto`, one update of one mini-batch (`actor.ppo_epochs` 1, the `groups` kept
    /// within one `actor.ppo_mini_batch_size`), no adapter dropout, no KL in the reward (it needs the old log-probs before
    /// the advantages), and a rollout correction that neither weights nor masks (§5.11).
    func updatesOnPolicy(groups: Int) -> Bool {
        let a = config.algorithm, correction = rolloutCorrection
        return config.trainer.oldLogProbPass == .auto && a.actor.ppoEpochs == 1 && groups <= a.actor.ppoMiniBatchSize
            && (model.adapter?.config.dropout ?? 0) == 0 && !a.algorithm.useKLInReward
            && correction.weighting == .none && correction.rejection == .none
    }

    /// `algorithm.rollout_correction.*` with `auto` resolved for this trainer's sampler (docs/algorithm.md §5.11).
    var rolloutCorrection: RolloutCorrection {
        config.algorithm.algorithm.rolloutCorrection.resolved(remoteSampler: servers != nil)
    }

    /// The sampler's log-prob of each trained token for the distribution the training forward evaluates, like with like
    /// (docs/algorithm.md §1.3): the sampled distribution's `log softmax(z/T)` when the forward is tempered, the sampler's
    /// `log softmax(z)` when it is not; B×T in the shape of `mask`.
    func samplerLogProbs(_ trajectories: [Trajectory], like mask: TokenMatrix) -> TokenMatrix {
        var out = TokenMatrix(rows: mask.rows, columns: mask.columns)
        for (b, t) in trajectories.enumerated() {
            let sampled = config.algorithm.trainsSampledDistribution ? t.logProbs : t.policyLogProbs
            for (j, m) in t.lossMask.enumerated() where m == 1 { out[b, j] = Double(sampled[j]) }
        }
        return out
    }

    /// Rollout: `data.train_batch_size` questions from the data cursor, refilled for up to
    /// `algorithm.filter_groups.max_num_gen_batches` rounds while dynamic sampling drops groups; logs every round, with
    /// the policy version it was sampled from (refused when older than `rollout.max_staleness` allows).
    private func collectRollouts(using rng: inout SeededGenerator, metrics: inout [String: Double]) throws -> RolloutCollection {
        let a = config.algorithm
        let clock = Date()
        let agent = AgentLoop(backend: try samplingBackend(), tokenizer: tokenizer, environment: benchmark.environment,
                              settings: a.rollout.agentSettings, template: chatTemplate)
        let version = publishedPolicy?.version ?? state.step
        guard state.step - version <= config.sampling.maxStaleness else {
            throw InputError("the servers serve the policy of step \(version), \(state.step - version) updates behind the one trained; "
                             + "rollout.max_staleness allows \(config.sampling.maxStaleness)", source: "config", field: "rollout.max_staleness")
        }
        let rollout = Rollout(agent: agent, settings: a.rollout.rolloutSettings)
        let shaping = a.algorithm.overlongBuffer
            ? OverlongRewardShaping(maxLength: a.rollout.responseLength, bufferLength: a.algorithm.overlongBufferLength,
                                    penaltyFactor: a.algorithm.overlongPenaltyFactor)
            : nil
        let target = a.data.trainBatchSize
        var collection = RolloutCollection()
        var questionsRolledOut = 0
        repeat {
            let batch = state.cursor.next(target - collection.groups.count).map { questions[$0] }
            let result = try rollout.run(batch, generator: SeededGenerator(seed: rng.next()))
            let (scores, kept) = collection.add(result, shaping: shaping, filterGroups: a.algorithm.filterGroups)
            try rolloutLog?.record(step: state.step + 1, batch: result, firstQuestion: questionsRolledOut, scores: scores, trained: kept,
                                   policyVersion: version)
            questionsRolledOut += result.groups.count
        } while a.algorithm.filterGroups && collection.groups.count < target && collection.rounds < a.algorithm.filterGroupsMaxGenBatches
        let seconds = Date().timeIntervalSince(clock)
        metrics["time/rollout_s"] = seconds
        metrics["tokens_per_s"] = Double(collection.generatedTokens + collection.monitorTokens) / max(seconds, 1e-9)
        metrics["generation_rounds"] = Double(collection.rounds)
        metrics["dropped_groups"] = Double(collection.dropped)
        metrics["premonitor_tokens"] = Double(collection.monitorTokens)
        if agent.backend is NativeSampler { metrics["forward_passes"] = Double(agent.backend.statistics.passes) }
        metrics.merge(collection.branching.metrics) { $1 }
        return collection
    }

    /// The native engine over the model's current weights (a LoRA run's base packed once, `packedBase`), or the servers
    /// serving the published policy.
    private func samplingBackend() throws -> SamplingBackend {
        let sampling = SamplingSettings(temperature: Float(config.algorithm.rollout.temperature))
        guard let servers, let published = publishedPolicy else {
            let packed = try packedBase ?? PackedModel(model: model)
            if model.adapter != nil { packedBase = packed }
            let engine = try InferenceEngine(packed: packed, adapter: model.adapter, kvCacheDataType: config.sampling.kvCacheDataType,
                                             maxTokensPerPass: config.sampling.maxNumBatchedTokens)
            return NativeSampler(engine: engine, sampling: sampling)
        }
        return try servers.backend(model: published.name, sampling: sampling, topLogprobs: config.sampling.topLogprobs,
                                   vocabularySize: model.config.vocabSize, contextLength: model.config.maxPositionEmbeddings)
    }

    /// The old policy's log-probs of the trained tokens by the training forward at the training temperature, in a pass of
    /// their own (`time/old_logprob_s`).
    private func evaluateOldPolicy(tensors: RolloutTensors, metrics: inout [String: Double]) throws -> TokenMatrix {
        let clock = Date()
        let old = try tensors.evaluate(model, chunk: config.trainer.microBatchSize, temperature: config.algorithm.trainingTemperature).logProbs
        metrics["time/old_logprob_s"] = Date().timeIntervalSince(clock)
        return old
    }

    /// The reference's log-probs of the trained tokens by the training forward at the training temperature (`nil` without a
    /// KL term). With an adapter the reference is the base, the adapter switched off.
    private func evaluateReference(tensors: RolloutTensors, metrics: inout [String: Double]) throws -> TokenMatrix? {
        guard config.usesReferenceModel else { return nil }
        let chunk = config.trainer.microBatchSize, temperature = config.algorithm.trainingTemperature
        let clock = Date()
        let ref = try reference.map { try tensors.evaluate($0, chunk: chunk, temperature: temperature).logProbs }
            ?? model.withoutAdapter { try tensors.evaluate(model, chunk: chunk, temperature: temperature).logProbs }
        metrics["time/ref_logprob_s"] = Date().timeIntervalSince(clock)
        return ref
    }

    /// `kl_ref`: the mean over the trained `cells` of the KL estimator in use (the KL loss's, else the reward penalty's)
    /// between the old policy and the reference.
    private func klToReference(old: TokenMatrix, ref: TokenMatrix, cells: [Int]) -> Double {
        let a = config.algorithm
        let estimator = a.actor.useKLLoss ? a.actor.klLossType : a.algorithm.klPenalty
        return cells.reduce(0.0) { $0 + estimator.term(logProb: old.values[$1], refLogProb: ref.values[$1]).value } / Double(max(cells.count, 1))
    }

    /// Advantages of `algorithm.adv_estimator`. With KL in the reward (`algorithm.use_kl_in_reward`, verl's
    /// `apply_kl_penalty`) the outcome score sits on each sequence's last trained token and every trained token t gets
    /// `− kl_coef · KL_t(log π_old, log π_ref)` (`algorithm.kl_penalty`); GRPO-like estimators then see each sequence's
    /// sum `R − kl_coef · Σ_t KL_t`, REINFORCE++ the per-token returns (such a step is never on-policy, so `old` is given).
    private func computeAdvantages(_ collection: RolloutCollection, tensors: RolloutTensors, old: TokenMatrix?, ref: TokenMatrix?,
                                   metrics: inout [String: Double]) throws -> TokenMatrix {
        let a = config.algorithm
        let scores = collection.flatScores
        var input = AdvantageInput(scores: scores, groupIDs: collection.groupIDs, mask: tensors.mask)
        if a.algorithm.useKLInReward, let old, let ref {
            input.tokenRewards = a.algorithm.klPenalty.penalizedRewards(input.tokenRewards, logProbs: old, refLogProbs: ref,
                                                                        mask: tensors.mask, coefficient: a.algorithm.klCoef)
            metrics["kl_reward_penalty"] = zip(scores, input.sequenceScores).reduce(0.0) { $0 + $1.0 - $1.1 } / Double(scores.count)
        }
        return try a.advantageEstimator()(input, options: a.advantageOptions)
    }

    /// `actor.ppo_epochs` passes over the step's groups in a fresh random order, one AdamW update per mini-batch of
    /// `actor.ppo_mini_batch_size` questions. The KL loss (`actor.use_kl_loss`) adds
    /// `kl_loss_coef · agg(KL_t(log π_θ, log π_ref))` to the actor loss; `importanceWeights` multiply the policy loss's
    /// terms (docs/algorithm.md §5.11). An adapter's dropout masks come from a stream derived per update (drawing nothing
    /// from `rng`). Returns the old policy's log-probs: `old`, or, on-policy (`old` `nil`), those of the update's forward.
    private func updatePolicy(_ collection: RolloutCollection, tensors: RolloutTensors, old: TokenMatrix?, ref: TokenMatrix?,
                              advantages: TokenMatrix, importanceWeights: TokenMatrix?, using rng: inout SeededGenerator,
                              metrics: inout [String: Double]) throws -> TokenMatrix {
        let a = config.algorithm
        let clock = Date()
        let update = PolicyUpdate(objective: try a.actorObjective(), microBatchSize: config.trainer.microBatchSize,
                                  temperature: a.trainingTemperature)
        let firstRow = collection.firstRows
        var totals = PolicyUpdate.Summary()
        var norms: [Double] = [], losses: [Double] = []
        for _ in 0..<a.actor.ppoEpochs {
            let order = rng.permutation(collection.groups.count)
            for start in stride(from: 0, to: order.count, by: a.actor.ppoMiniBatchSize) {
                let rows = order[start..<min(start + a.actor.ppoMiniBatchSize, order.count)].flatMap { Array(firstRow[$0]..<firstRow[$0 + 1]) }
                let summary = try update.accumulate(into: model, tensors: tensors, rows: rows, oldLogProbs: old, advantages: advantages,
                                                    refLogProbs: ref, importanceWeights: importanceWeights,
                                                    dropoutSeed: rng.derivedSeed(stream: UInt64(norms.count)))
                norms.append(applyGradients(loss: summary.loss, maxNorm: a.actor.gradClip))
                losses.append(summary.loss)
                totals.merge(summary)
            }
        }
        metrics["time/update_s"] = Date().timeIntervalSince(clock)
        metrics["loss"] = losses.reduce(0, +) / Double(max(losses.count, 1))
        if a.actor.useKLLoss { metrics["kl_loss"] = totals.klLoss / Double(max(losses.count, 1)) }
        let finite = norms.filter(\.isFinite)
        metrics["grad_norm"] = finite.reduce(0, +) / Double(max(finite.count, 1))
        metrics.merge(totals.metrics) { $1 }
        if let old { return old }
        var evaluated = TokenMatrix(rows: tensors.rows, columns: tensors.columns)
        for (cell, logProb) in zip(totals.cells, totals.logProbs) { evaluated.values[cell] = logProb }
        return evaluated
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
        cells += other.cells
        logProbs += other.logProbs
        loss += other.loss
        klLoss += other.klLoss
        tokenEntropies += other.tokenEntropies
        highClipped += other.highClipped
        entropyAdvantageWeights += other.entropyAdvantageWeights
    }

    /// Entropy, clip fractions, KL to the old policy, and the high-side clip fraction per entropy quartile
    /// (`clip_high_entropy_q1` the lowest-entropy quarter of the trained tokens); with the entropy-aware advantage, the
    /// largest factor `1 + a·z_t` (`entropy_adv_weight_max`) and the mean factor of the highest-entropy quarter
    /// (`entropy_adv_weight_q4`): how strongly the update leans on the uncertain tokens.
    var metrics: [String: Double] {
        var m: [String: Double] = ["entropy": entropy, "clip_frac_low": clippedLow, "clip_frac_high": clippedHigh,
                                   "clip_frac_dual": dualClipped, "kl": approxKL]
        if let largest = entropyAdvantageWeights.max() { m["entropy_adv_weight_max"] = largest }
        let order = tokenEntropies.indices.sorted { tokenEntropies[$0] < tokenEntropies[$1] }
        guard order.count >= 4 else { return m }
        for q in 0..<4 {
            let slice = order[(q * order.count / 4)..<((q + 1) * order.count / 4)]
            m["clip_high_entropy_q\(q + 1)"] = Double(slice.filter { highClipped[$0] }.count) / Double(max(slice.count, 1))
            if q == 3 && !entropyAdvantageWeights.isEmpty {
                m["entropy_adv_weight_q4"] = slice.reduce(0.0) { $0 + entropyAdvantageWeights[$1] } / Double(max(slice.count, 1))
            }
        }
        return m
    }
}
