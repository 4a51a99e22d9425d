import AEPOCore
import AEPOKernels
import AEPOModel
import AEPOTraining

extension BenchMeasurement {
    /// `train_tokens_per_s`: one training step (forward, backward of the mean next-token
    /// cross-entropy at every position, AdamW update) on 16 random sequences of 256 tokens of the
    /// reference configuration, counting 16 × 256 tokens per step. Also
    /// `train_tokens_per_s_1thread_cputime`: the same on one thread per second of CPU time received
    /// (stable on a shared machine).
    static let training = BenchMeasurement(name: "train") { context in
        let config = try ReferenceConfiguration.load()
        let (sequenceCount, length) = (16, 256)
        let model = try Qwen3Model(config: config, seed: 1)
        let optimizer = try AdamW(parameterCount: model.layout.totalCount)
        var generator = SeededGenerator(seed: 2)
        let sequences = (0..<sequenceCount).map { _ in
            (0..<length).map { _ in Int(generator.next() % UInt64(config.vocabSize)) }
        }
        let batch = TokenBatch.nextToken(sequences)
        let weights = [Float](repeating: -1 / Float(batch.targets.count), count: batch.targets.count)
        func step() throws {
            model.zeroGradients()
            _ = try model.forward(batch)
            try model.backward(logProbWeights: weights)
            optimizer.update(parameters: model.parameters, gradients: UnsafeBufferPointer(model.gradients), learningRate: 1e-4)
        }
        let tokens = Double(sequenceCount * length)
        let seconds = try context.medianSeconds(step)
        let cpuSeconds = try Parallel.withThreadLimit(1) { try context.medianTimes(step).cpu }
        return BenchResult(figures: [
            "train_tokens_per_s": (tokens / seconds).rounded(),
            "train_tokens_per_s_1thread_cputime": (tokens / cpuSeconds).rounded(),
        ])
    }
}
