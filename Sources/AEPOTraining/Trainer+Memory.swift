import AEPOCore
import AEPOModel
import AEPOTokenizer
import Foundation

extension Trainer {
    /// The shape of the run's model before any weight is read: the resumed checkpoint's, `model.path`'s `config.json`,
    /// or `model.*` over the tokenizer's vocabulary; with where it comes from and how to make the run smaller.
    static func modelShape(config: TrainingConfig, phase: TrainingPhase, restored: Checkpoint?, tokenizer: Tokenizer,
                           tokenizerURL: URL, checkpoints: String) throws -> (config: Qwen3Config, source: String, advice: String) {
        let batch = phase == .sft ? "sft.batch_size (\(config.sft.batchSize))" : "trainer.micro_batch_size (\(config.trainer.microBatchSize))"
        if let restored {
            return (restored.config, checkpoints, "resume on a machine with more memory, or lower \(batch)")
        }
        if !config.model.path.isEmpty {
            let url = URL(fileURLWithPath: config.model.path).appendingPathComponent(Checkpoint.configFileName)
            return (try Qwen3Config.load(from: url), url.path, "start from a smaller model, or lower \(batch)")
        }
        guard tokenizer.vocabularySize <= Qwen3Config.maximumVocabularySize else {
            throw InputError("the tokenizer's \(tokenizer.vocabularySize) tokens exceed the largest vocabulary a model may have "
                             + "(\(Qwen3Config.maximumVocabularySize))", source: tokenizerURL.path)
        }
        let m = config.model
        return (config.modelConfig(vocabularySize: tokenizer.vocabularySize), "config",
                "lower model.hidden_size (\(m.hiddenSize)), model.intermediate_size (\(m.intermediateSize)), "
                    + "model.num_layers (\(m.numLayers)), model.max_positions (\(m.maxPositions)), or \(batch)")
    }

    /// What the run needs (`MemoryEstimate`): the model, the gradients, AdamW's two moments, two more copies while a
    /// checkpoint is written (the weights as an array and as encoded bytes; reading one takes less) — all four of the
    /// adapter's size when one trains on the frozen model, which is held as `storage` says —; in SFT the activations of
    /// `sft.batch_size` demonstrations as long as the longest (when `recomputing`, each layer's input and one layer's
    /// working set, as in RL); in RL the reference model of a full fine-tuning's KL term, the activations of one micro-batch (`trainer.micro_batch_size`, 0: the whole
    /// rollout batch, which the old policy's forward takes at once) of `rollout.response_length` tokens (prompt and
    /// tool results come on top), and the rollout engine's packed weights and KV cache for every trajectory.
    static func memoryEstimate(config: TrainingConfig, phase: TrainingPhase, model: Qwen3Config, adapter: LoRAConfig?,
                               storage: ParameterStorage = .float32, longestExample: Int, recomputing: Bool) -> MemoryEstimate {
        var estimate = MemoryEstimate(config: model, adapter: adapter, storage: storage)
        estimate.addTrainedSized("gradients")
        estimate.addTrainedSized("AdamW's moments", copies: 2)
        estimate.addTrainedSized("checkpoint copies", copies: 2)
        switch phase {
        case .sft:
            estimate.addTrainingPass(sequences: config.sft.batchSize, positions: longestExample, recomputing: recomputing)
        case .rl:
            let a = config.algorithm
            let length = min(model.maxPositionEmbeddings, a.rollout.responseLength)
            let trajectories = a.data.trainBatchSize * a.rollout.n
            if config.usesReferenceModel && adapter == nil { estimate.addParameterSized("reference model") }
            estimate.addTrainingPass(sequences: config.trainer.microBatchSize > 0 ? config.trainer.microBatchSize : trajectories,
                                     positions: length, recomputing: recomputing)
            estimate.addInferenceEngine(sequences: trajectories, positions: length, kvCacheDataType: config.sampling.kvCacheDataType,
                                        maxTokensPerPass: config.sampling.maxNumBatchedTokens)
        }
        return estimate
    }

    /// Whether the run recomputes each layer's activations in the backward pass (`Qwen3Model.recomputesActivations`):
    /// when `trainer.activation_checkpointing` asks for it, or when the run fits within `limit` only that way — the
    /// same gradients for one more forward pass, rather than a refusal. `need(recomputing)` is the run's estimate.
    static func recomputesActivations(config: TrainingConfig, limit: MemoryLimit,
                                      need: (_ recomputing: Bool) -> MemoryEstimate) -> Bool {
        config.trainer.activationCheckpointing
            || (need(false).bytes > Double(limit.bytes) && need(true).bytes <= Double(limit.bytes))
    }
}
