import Foundation
import AEPOAlgorithms
import AEPOCore
import AEPOModel

/// The gradient of one mini-batch's aggregated actor loss, through the objective and the model.
///
/// The mini-batch's rows run through the training forward (`softmax(z/T)` at `temperature`) in
/// micro-batches of `microBatchSize` sequences; each micro-batch's `ActorObjective` is aggregated with the
/// mini-batch's token and sequence counts (verl's `batch_num_tokens`, `global_batch_size`), so the sum over
/// micro-batches is the mini-batch's loss and `Qwen3Model.backward(logProbWeights: ∂loss/∂log π, entropyWeights:
/// ∂loss/∂H)` accumulates its exact gradient (the KL loss's term `β·w_t·∂KL_t/∂log π` included). AEPO's entropy
/// z-score is taken over the whole mini-batch (docs/algorithm.md §4.4): when the mini-batch spans several micro-batches, a
/// forward pass over them first gives its statistics, so the micro-batch size changes memory, not the update.
///
/// An on-policy update (no old log-probs given: one update of the step's whole batch, docs/algorithm.md §6.2) takes
/// each micro-batch's own forward log-probs as the old policy's, so its ratios are exactly 1, and hands them back
/// (`Summary.logProbs`) for what reports from the old policy.
public struct PolicyUpdate {
    public var objective: ActorObjective
    /// Sequences per forward pass; 0 for the whole mini-batch at once.
    public var microBatchSize: Int
    /// `T` of the training forward (1: the model's own distribution).
    public var temperature: Float

    public init(objective: ActorObjective, microBatchSize: Int, temperature: Float = 1) {
        self.objective = objective
        self.microBatchSize = microBatchSize
        self.temperature = temperature
    }

    /// What one mini-batch's update measured, token-weighted over its micro-batches.
    public struct Summary {
        public var loss = 0.0
        /// The aggregated KL-to-reference term of the loss (before its coefficient); 0 without a KL loss.
        public var klLoss = 0.0
        public var tokens = 0.0
        public var clippedLow = 0.0
        public var clippedHigh = 0.0
        public var dualClipped = 0.0
        /// Mean of `log π_old − log π_θ` over trained tokens.
        public var approxKL = 0.0
        /// Mean entropy of the trained tokens.
        public var entropy = 0.0
        /// Per trained token: its entropy and whether the loss clipped it on the high side (`ClipRegion.high`).
        public var tokenEntropies: [Double] = []
        public var highClipped: [Bool] = []
        /// Per trained token, in the same order: the entropy-aware advantage's factor `1 + a·z_t`; empty when it is off.
        public var entropyAdvantageWeights: [Double] = []
        /// Per trained token, in the same order: its cell (`b·T + t`) and its log-prob by the update's forward (the
        /// weights before this update).
        public var cells: [Int] = []
        public var logProbs: [Double] = []
    }

    /// Adds the gradient of the aggregated loss over `rows` of `tensors` into `model.trainableGradients` and returns the
    /// loss and its statistics. `oldLogProbs`, `advantages`, `refLogProbs` (the reference's, required by the KL loss) and
    /// `importanceWeights` (the rollout correction's factors on the policy loss, docs/algorithm.md §5.11) are B×T over all
    /// of `tensors`' rows; `oldLogProbs` `nil`: the update is on-policy, and each micro-batch's forward log-probs are the
    /// old ones. An adapter's dropout draws each micro-batch's masks from a stream of `dropoutSeed`.
    public func accumulate(into model: Qwen3Model, tensors: RolloutTensors, rows: [Int], oldLogProbs: TokenMatrix?,
                           advantages: TokenMatrix, refLogProbs: TokenMatrix? = nil, importanceWeights: TokenMatrix? = nil,
                           dropoutSeed: UInt64 = 0) throws -> Summary {
        let columns = tensors.columns
        var tokenCount = 0.0, sequenceCount = 0.0
        for b in rows {
            let n = (0..<columns).reduce(0.0) { $0 + tensors.mask[b, $1] }
            tokenCount += n
            if n > 0 { sequenceCount += 1 }
        }
        var summary = Summary()
        guard tokenCount > 0 else { return summary }
        let size = microBatchSize > 0 ? microBatchSize : rows.count
        var normalization: EntropyAwareAdvantage.Normalization?
        if objective.entropyAdvantageCoefficient != nil && rows.count > size {
            let entropies = try tensors.evaluate(model, rows: rows, chunk: size, temperature: temperature).entropies
            normalization = EntropyAwareAdvantage.Normalization(entropies: entropies, mask: tensors.mask(rows: rows))
        }
        for start in stride(from: 0, to: rows.count, by: size) {
            let chunk = Array(rows[start..<min(start + size, rows.count)])
            let (batch, cells) = tensors.batch(rows: chunk)
            guard !batch.targets.isEmpty else { continue }
            let out = try model.forward(batch, temperature: temperature,
                                        dropoutSeed: SeededGenerator(seed: dropoutSeed).derivedSeed(stream: UInt64(start)),
                                        preparingLogProbGradient: objective.entropyCoefficient == 0)
            let localRow = Dictionary(uniqueKeysWithValues: chunk.enumerated().map { ($1, $0) })
            func local(_ cell: Int) -> Int { localRow[cell / columns]! * columns + cell % columns }
            var mask = TokenMatrix(rows: chunk.count, columns: columns)
            var old = mask, current = mask, advantage = mask, entropy = mask, ref = mask, weight = mask
            for (i, cell) in cells.enumerated() {
                let l = local(cell)
                mask.values[l] = 1
                current.values[l] = Double(out.logProbs[i])
                old.values[l] = oldLogProbs?.values[cell] ?? current.values[l]
                advantage.values[l] = advantages.values[cell]
                entropy.values[l] = Double(out.entropies[i])
                ref.values[l] = refLogProbs?.values[cell] ?? 0
                weight.values[l] = importanceWeights?.values[cell] ?? 1
            }
            let input = PolicyLossInput(oldLogProbs: old, logProbs: current, advantages: advantage, mask: mask)
            let result = objective(input, entropies: entropy, refLogProbs: refLogProbs == nil ? nil : ref,
                                   tokenCount: tokenCount, sequenceCount: sequenceCount, entropyNormalization: normalization,
                                   importanceWeights: importanceWeights == nil ? nil : weight)
            let logProbWeights = cells.map { Float(result.gradLogProbs.values[local($0)]) }
            let entropyWeights = objective.entropyCoefficient != 0 ? cells.map { Float(result.gradEntropies.values[local($0)]) } : nil
            try model.backward(logProbWeights: logProbWeights, entropyWeights: entropyWeights)

            let n = Double(cells.count)
            summary.loss += result.loss
            summary.klLoss += result.klLoss
            summary.tokens += n
            summary.clippedLow += result.statistics.clippedLowFraction * n
            summary.clippedHigh += result.statistics.clippedHighFraction * n
            summary.dualClipped += result.statistics.dualClipFraction * n
            summary.approxKL += result.statistics.approxKL * n
            for cell in cells {
                let l = local(cell)
                summary.cells.append(cell)
                summary.logProbs.append(current.values[l])
                summary.entropy += entropy.values[l]
                summary.tokenEntropies.append(entropy.values[l])
                summary.highClipped.append(result.statistics.regions[l] == .high)
                if let weights = result.entropyAdvantageWeights { summary.entropyAdvantageWeights.append(weights.values[l]) }
            }
        }
        if summary.tokens > 0 {
            for path in [\Summary.clippedLow, \.clippedHigh, \.dualClipped, \.approxKL, \.entropy] {
                summary[keyPath: path] /= summary.tokens
            }
        }
        return summary
    }
}
