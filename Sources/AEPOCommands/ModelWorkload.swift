import AEPOAlgorithms
import AEPOCore
import AEPOModel
import AEPOTraining

/// One workload `aepo bench --model DIR` measures on a Hugging Face model, each in its own process: prefill, decoding
/// at one batch size, a full fine-tuning RL update, a LoRA RL update. Every one works on random tokens drawn from a
/// fixed seed, and reports its speed and its peak resident memory (`ModelBench`).
enum ModelWorkload: Equatable {
    case prefill
    case decode(batch: Int)
    case train
    case trainLoRA

    /// The name `--only` selects (`decode` selects every decoding batch size) and `--workload` runs.
    var name: String {
        switch self {
        case .prefill: return "prefill"
        case .decode(let batch): return "decode-\(batch)"
        case .train: return "train"
        case .trainLoRA: return "train-lora"
        }
    }

    /// The names `--only` accepts.
    static let selectableNames = ["prefill", "decode", "train", "train-lora"]

    /// The `--only` name that selects it.
    var selectableName: String {
        if case .decode = self { return "decode" }
        return name
    }

    /// The JSON key of its peak resident memory, in MB.
    var peakKey: String {
        switch self {
        case .prefill: return "prefill_peak_rss_mb"
        case .decode(let batch): return "decode_peak_rss_mb_batch\(batch)"
        case .train: return "train_peak_rss_mb"
        case .trainLoRA: return "train_lora_peak_rss_mb"
        }
    }

    /// What it needs in memory beyond the model's parameters (`MemoryEstimate`), and what to lower when that is too much.
    func estimate(_ bench: ModelBench) -> (estimate: MemoryEstimate, advice: String) {
        let shape = "lower --batch (\(bench.batch)) or --length (\(bench.length))"
        switch self {
        case .prefill:
            var estimate = MemoryEstimate(config: bench.config, storage: bench.frozenStorage)
            estimate.addInferenceEngine(sequences: bench.batch, positions: bench.length, rows: bench.batch * bench.length,
                                        kvCacheDataType: bench.kvCacheDataType, maxTokensPerPass: bench.maxTokensPerPass)
            return (estimate, shape)
        case .decode(let batch):
            var estimate = MemoryEstimate(config: bench.config, storage: bench.frozenStorage)
            estimate.addInferenceEngine(sequences: batch, positions: bench.promptLength + bench.newTokens, rows: batch * bench.promptLength,
                                        kvCacheDataType: bench.kvCacheDataType, maxTokensPerPass: bench.maxTokensPerPass)
            return (estimate, "lower --decode-batch (\(batch)), --prompt-length (\(bench.promptLength)) or --new-tokens (\(bench.newTokens))")
        case .train, .trainLoRA:
            var estimate = self == .train ? MemoryEstimate(config: bench.config)
                : MemoryEstimate(config: bench.config, adapter: bench.adapter, storage: bench.frozenStorage)
            estimate.addTrainedSized("gradients")
            estimate.addTrainedSized("AdamW's moments", copies: 2)
            estimate.addTrainingPass(sequences: bench.batch, positions: bench.length, recomputing: bench.recomputesActivations)
            var advice = bench.recomputesActivations ? shape : "pass --activation-checkpointing, or \(shape)"
            if self == .train { advice += ", or measure LoRA only (--only train-lora --lora RANK)" }
            return (estimate, advice)
        }
    }

    /// Runs the workload on `model` (loaded from `bench.directory`) and returns its speed figures.
    func measure(_ model: Qwen3Model, _ bench: ModelBench) throws -> [String: Double] {
        let context = BenchContext(repetitions: bench.repetitions)
        let vocabulary = UInt64(model.config.vocabSize)
        var generator = SeededGenerator(seed: 2)
        let sequences = (0..<bench.batch).map { _ in (0..<bench.length).map { _ in Int(generator.next() % vocabulary) } }
        let tokens = Double(bench.batch * bench.length)
        switch self {
        case .prefill:
            let engine = try InferenceEngine(model: model, kvCacheDataType: bench.kvCacheDataType, maxTokensPerPass: bench.maxTokensPerPass)
            let seconds = try context.medianSeconds(warmup: bench.warmup) {
                let handles = sequences.map { _ in engine.makeSequence() }
                _ = try engine.prefill(Array(zip(handles, sequences)))
                handles.forEach(engine.release)
            }
            return ["prefill_tokens_per_s": (tokens / seconds).rounded()]
        case .decode(let batch):
            let result = try DecodeBenchmark.run(model: model, sequences: batch, promptLength: bench.promptLength, newTokens: bench.newTokens,
                                                 settings: SamplingSettings(temperature: 1), repetitions: bench.repetitions,
                                                 warmup: bench.warmup, seed: 2, kvCacheDataType: bench.kvCacheDataType,
                                                 maxTokensPerPass: bench.maxTokensPerPass)
            return ["decode_tokens_per_s_batch\(batch)": result.tokensPerSecond.rounded()]
        case .train, .trainLoRA:
            model.recomputesActivations = bench.recomputesActivations
            if self == .trainLoRA, let adapter = bench.adapter {
                try model.attach(try LoRAAdapter(config: adapter, model: model.config, seed: 3))
            }
            let update = try RLUpdate(model: model, sequences: sequences)
            var old: [Float] = []
            let (step, phases) = try context.medianPhaseSeconds(warmup: bench.warmup, [{ old = try update.oldLogProbs() },
                                                                                     { try update.run(old: old) }])
            let key = self == .train ? "train" : "train_lora"
            return ["\(key)_tokens_per_s": (tokens / step).rounded(), "\(key)_on_policy_tokens_per_s": (tokens / phases[1]).rounded()]
        }
    }
}

/// The training workload: one RL update of a batch of equal-length sequences in two timed phases — a forward pass
/// for the old log-probs (what a step with several mini-batches or epochs runs first), then the update: the forward
/// pass, PPO's clipped loss (token mean, ε = 0.2, dual clip c = 3) on a random advantage per sequence at every
/// next-token position, the backward pass and an AdamW update of the trainable parameters (the adapter's when one is
/// attached). The update alone is what an on-policy step costs, whose old log-probs are the update's own: the loss
/// costs the same whichever old log-probs it is given.
private struct RLUpdate {
    let model: Qwen3Model
    let batch: TokenBatch
    let advantages: TokenMatrix
    let mask: TokenMatrix
    let optimizer: AdamW

    init(model: Qwen3Model, sequences: [[Int]]) throws {
        self.model = model
        batch = TokenBatch.nextToken(sequences)
        let columns = sequences[0].count - 1
        var generator = SeededGenerator(seed: 4)
        advantages = TokenMatrix(rows: sequences.count, columns: columns,
                                 values: sequences.flatMap { _ in Array(repeating: generator.nextGaussian(), count: columns) })
        mask = TokenMatrix(rows: sequences.count, columns: columns, repeating: 1)
        try model.allocateGradients()
        optimizer = try AdamW(parameterCount: model.trainableParameters.count)
    }

    /// The first phase: the old log-probs, by a forward pass.
    func oldLogProbs() throws -> [Float] { try model.forward(batch).logProbs }

    /// The second phase: the update, with `old` as the old policy's log-probs.
    func run(old: [Float]) throws {
        model.zeroGradients()
        let current = try model.forward(batch, preparingLogProbGradient: true).logProbs
        func matrix(_ values: [Float]) -> TokenMatrix { TokenMatrix(rows: mask.rows, columns: mask.columns, values: values.map(Double.init)) }
        let loss = ActorObjective(policyLoss: .ppoClip)(PolicyLossInput(oldLogProbs: matrix(old), logProbs: matrix(current),
                                                                         advantages: advantages, mask: mask))
        try model.backward(logProbWeights: loss.gradLogProbs.values.map(Float.init))
        optimizer.update(parameters: model.trainableParameters, gradients: UnsafeBufferPointer(model.trainableGradients), learningRate: 1e-5)
    }
}
