import AEPOModel
import Foundation

extension Trainer {
    /// One SFT step: mean cross-entropy over the trained tokens of `sft.batch_size` demonstrations
    /// (`loss = −(1/N) Σ log p(token)`), clipped by `sft.grad_clip`, one AdamW update.
    func sftStep(seed: UInt64) throws -> [String: Double] {
        let clock = Date()
        let batch = SFTExample.batch(state.cursor.next(config.sft.batchSize).map { examples[$0] })
        let n = batch.targets.count
        guard n > 0 else { return ["loss": 0, "tokens": 0] }
        let (logProbs, _) = model.forward(batch)
        let loss = -logProbs.reduce(0.0) { $0 + Double($1) } / Double(n)
        model.backward(logProbWeights: [Float](repeating: -1 / Float(n), count: n))
        let norm = applyGradients(loss: loss, maxNorm: config.sft.gradClip)
        let seconds = Date().timeIntervalSince(clock)
        let tokens = batch.sequences.reduce(0) { $0 + $1.count }
        return ["loss": loss, "grad_norm": norm, "tokens": Double(n), "tokens_per_s": Double(tokens) / max(seconds, 1e-9)]
    }
}
