import AEPOModel
import Foundation

extension Trainer {
    /// One SFT step: cross-entropy over the policy's tokens of `sft.batch_size` demonstrations, plus the `<result>`
    /// tokens weighted by w = `sft.tool_output_weight`: `L = −(Σ_policy log p + w Σ_result log p) / (N_policy + w N_result)`;
    /// clipped by `sft.grad_clip`, one AdamW update (an adapter's dropout masks drawn from `seed`). Logs `loss` = the
    /// policy tokens' mean cross-entropy (and `tool_output_loss` when w > 0).
    func sftStep(seed: UInt64) throws -> [String: Double] {
        let clock = Date()
        let w = config.sft.toolOutputWeight
        let (batch, isToolOutput) = SFTExample.batch(state.cursor.next(config.sft.batchSize).map { examples[$0] }, includeToolOutput: w > 0)
        let resultCount = isToolOutput.filter { $0 }.count
        let policyCount = isToolOutput.count - resultCount
        guard policyCount + resultCount > 0 else { return ["loss": 0, "tokens": 0] }
        let (logProbs, _) = try model.forward(batch, dropoutSeed: seed, preparingLogProbGradient: true)
        var policySum = 0.0, resultSum = 0.0
        for (lp, result) in zip(logProbs, isToolOutput) {
            if result { resultSum -= Double(lp) } else { policySum -= Double(lp) }
        }
        let normaliser = Double(policyCount) + w * Double(resultCount)
        try model.backward(logProbWeights: isToolOutput.map { Float(-($0 ? w : 1) / normaliser) })
        let norm = applyGradients(loss: (policySum + w * resultSum) / normaliser, maxNorm: config.sft.gradClip)
        let seconds = Date().timeIntervalSince(clock)
        let tokens = batch.sequences.reduce(0) { $0 + $1.count }
        var metrics = ["loss": policySum / Double(max(policyCount, 1)), "grad_norm": norm, "tokens": Double(policyCount),
                       "tokens_per_s": Double(tokens) / max(seconds, 1e-9)]
        if resultCount > 0 { metrics["tool_output_loss"] = resultSum / Double(resultCount) }
        return metrics
    }
}
