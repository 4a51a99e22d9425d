import AEPOAlgorithms
import AEPOCore
import AEPOModel

/// Everything a training run is configured by: the algorithm (`AlgorithmConfig`, verl-like keys) plus the
/// model, data, optimizer schedule, SFT and trainer settings. Every value has a dotted key (`model.hidden_size`,
/// `trainer.steps`, …, see `TrainingConfig.keys` and the README) that a config file or `--set key=value` sets.
public struct TrainingConfig: Equatable, Sendable {
    public var algorithm: AlgorithmConfig
    public var model = ModelSettings()
    public var data = DataSettings()
    public var optim = OptimizerSettings()
    public var sft = SFTSettings()
    public var trainer = TrainerSettings()
    public var sampling = SamplingBackendSettings()

    public init(algorithm: AlgorithmConfig) {
        self.algorithm = algorithm
    }

    /// `model.*`: a checkpoint to start from, or the shape of a randomly initialised Qwen3.
    public struct ModelSettings: Equatable, Sendable {
        /// `model.path`: a Hugging Face directory; empty for a random initialisation of the size below.
        public var path = ""
        public var hiddenSize = 256
        public var intermediateSize = 768
        public var numLayers = 4
        public var numHeads = 4
        public var numKeyValueHeads = 2
        public var headDim = 64
        public var maxPositions = 1024
        public var tieEmbeddings = true
        public var lora = LoRASettings()
    }

    /// `model.lora.*`: train a LoRA adapter on the frozen model (`LoRAConfig`) instead of every weight; rank 0: off.
    public struct LoRASettings: Equatable, Sendable {
        public var rank = 0
        public var alpha = 8.0
        /// Comma-separated modules to adapt, of `LoRATarget`'s names.
        public var targets = LoRATarget.allCases.map(\.rawValue).joined(separator: ",")
        /// Dropout on the adapters' inputs during training updates.
        public var dropout = 0.0
    }

    /// `data.*` (the batch size is `data.train_batch_size` of the algorithm).
    public struct DataSettings: Equatable, Sendable {
        /// `data.benchmark`: a benchmark directory (`aepo data generate`).
        public var benchmark = ""
        /// `data.suites`: comma-separated suite names to train on; empty for all.
        public var suites = ""
    }

    /// `optim.*`: the RL learning-rate schedule and Adam's moments (lr, weight decay and clip are `actor.*`).
    public struct OptimizerSettings: Equatable, Sendable {
        public var schedule = ScheduleKind.constant
        public var warmupSteps = 0
        /// Cosine floor as a fraction of the peak.
        public var minLRRatio = 0.0
        public var beta1 = 0.9
        public var beta2 = 0.999
    }

    /// `sft.*`: the supervised cold start on the benchmark's demonstrations.
    public struct SFTSettings: Equatable, Sendable {
        public var steps = 300
        /// Demonstrations per step.
        public var batchSize = 16
        public var lr = 2e-3
        public var schedule = ScheduleKind.cosine
        public var warmupSteps = 20
        public var minLRRatio = 0.1
        public var weightDecay = 0.01
        public var gradClip = 1.0
        /// Loss weight of the `<result>` tokens relative to the policy's own (0: train only what the policy writes).
        /// A model trained from scratch learns to read results — and to copy the names they repeat — from them.
        public var toolOutputWeight = 0.0
    }

    /// `trainer.*`.
    public struct TrainerSettings: Equatable, Sendable {
        /// RL steps (one rollout batch each).
        public var steps = 20
        /// Checkpoint every this many steps (0: only at the end).
        public var saveFreq = 0
        /// Checkpoints kept (the oldest are removed).
        public var keepLast = 2
        /// The largest file of a checkpoint's weights or optimizer state; more is written as shards.
        public var maxShardSize = ShardSize.standard
        public var seed = 1
        /// The run directory: resolved config, metrics, checkpoints, final model.
        public var runDir = "runs/train"
        /// Sequences per forward/backward pass inside a mini-batch (0: the whole mini-batch at once).
        public var microBatchSize = 32
        /// Recompute each layer's activations in the backward pass instead of keeping them
        /// (`Qwen3Model.recomputesActivations`): about one layer's activations in memory instead of all, the same
        /// gradients, one more forward pass of compute. Off, a run recomputes anyway when it fits in memory only so.
        public var activationCheckpointing = false
        /// Print a progress line every this many steps.
        public var logFreq = 1
        /// When an RL step evaluates the old policy's log-probs in a pass of their own.
        public var oldLogProbPass = OldLogProbPass.auto

        /// `trainer.old_logprob_pass`: `auto` leaves the separate pass out of an on-policy step, whose one update's own
        /// forward gives the old log-probs (`Trainer.updatesOnPolicy`, docs/algorithm.md §6.2); `always` runs it every step.
        public enum OldLogProbPass: String, CaseIterable, Sendable, ConfigChoice {
            case auto, always
        }
    }

    /// `rollout.backend` and, for `openai`, the servers RL rollouts are sampled from (`RolloutServers`), kept on the
    /// trainer's policy after every update.
    public struct SamplingBackendSettings: Equatable, Sendable {
        public var backend = Backend.native
        /// `rollout.endpoints`: comma-separated base URLs of OpenAI-compatible servers of `model.path`.
        public var endpoints = ""
        /// `rollout.api_key_env`: the environment variable holding the servers' API key (empty: none).
        public var apiKeyEnvironment = ""
        /// `rollout.top_logprobs`: alternatives asked per token; the entropies are computed over them, renormalised.
        public var topLogprobs = 20
        /// `rollout.timeout` (seconds), `rollout.retries`, `rollout.concurrency` (requests in flight per server).
        public var timeout = 120.0
        public var retries = 3
        public var concurrency = 16
        /// `rollout.max_staleness`: how many updates the policy the servers sample from may lag behind the one trained
        /// before they are synced again (0: at every step); the rollout correction weighs what the lag changes.
        public var maxStaleness = 0
        /// `rollout.probe_tolerance`: the largest mean |Δ log-prob| (nats) between a server's greedy probe and the trainer's
        /// forward before the server counts as serving another model.
        public var probeTolerance = 0.1
        /// `rollout.kv_cache_dtype`: how the native engine's KV cache stores keys and values (`KVCacheDataType`).
        public var kvCacheDataType = KVCacheDataType.float32
        /// `rollout.max_num_batched_tokens`: the most tokens one forward pass of the native engine runs
        /// (`InferenceEngine.maxTokensPerPass`, vLLM's `max_num_batched_tokens`).
        public var maxNumBatchedTokens = InferenceEngine.defaultMaxTokensPerPass

        /// Where rollouts are sampled: the trainer's own engine, or OpenAI-compatible servers.
        public enum Backend: String, CaseIterable, Sendable, ConfigChoice {
            case native, openai
        }

        /// The servers' URLs.
        public var endpointList: [String] {
            endpoints.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }

        public var isRemote: Bool { backend == .openai }
    }

    /// The learning-rate schedule's shape.
    public enum ScheduleKind: String, CaseIterable, Sendable, ConfigChoice {
        case constant, warmup, cosine

        /// The schedule with peak `lr` over `totalSteps` updates.
        public func schedule(peak: Double, warmupSteps: Int, totalSteps: Int, minimumRatio: Double) -> LearningRateSchedule {
            switch self {
            case .constant: return .constant(peak: Float(peak))
            case .warmup: return .linearWarmup(peak: Float(peak), warmupSteps: warmupSteps)
            case .cosine: return .cosine(peak: Float(peak), warmupSteps: warmupSteps, totalSteps: max(totalSteps, warmupSteps + 1),
                                         minimum: Float(peak * minimumRatio))
            }
        }
    }

    /// Whether RL keeps a frozen reference model: the KL loss (`actor.use_kl_loss`) or the KL in the reward
    /// (`algorithm.use_kl_in_reward`) is on.
    public var usesReferenceModel: Bool {
        algorithm.actor.useKLLoss || algorithm.algorithm.useKLInReward
    }

    /// The suites of `data.suites` (empty: all).
    public var suiteNames: [String] {
        data.suites.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The key that sets each field of the adapter.
    public static func loraKey(_ field: LoRAConfig.Field) -> String {
        switch field {
        case .rank: return "model.lora.rank"
        case .alpha: return "model.lora.alpha"
        case .targets: return "model.lora.targets"
        case .dropout: return "model.lora.dropout"
        }
    }

    /// The adapter `model.lora.*` describes; `nil` for full fine-tuning (`model.lora.rank` 0). An error naming the key
    /// for an unknown target module.
    public func loraConfig(source: String = "config") throws -> LoRAConfig? {
        let l = model.lora
        guard l.rank != 0 else { return nil }
        return LoRAConfig(rank: l.rank, alpha: l.alpha, targets: try LoRAConfig.targets(parsing: l.targets, source: source, field: Self.loraKey(.targets)),
                          dropout: l.dropout)
    }

    /// A Qwen3 of `model.*`'s size over a vocabulary of `vocabularySize` tokens.
    public func modelConfig(vocabularySize: Int) -> Qwen3Config {
        Qwen3Config(vocabSize: vocabularySize, hiddenSize: model.hiddenSize, intermediateSize: model.intermediateSize,
                    numHiddenLayers: model.numLayers, numAttentionHeads: model.numHeads, numKeyValueHeads: model.numKeyValueHeads,
                    headDim: model.headDim, maxPositionEmbeddings: model.maxPositions, tieWordEmbeddings: model.tieEmbeddings)
    }
}

/// `rollout.kv_cache_dtype` is spelt by the type's name.
extension KVCacheDataType: ConfigChoice {}

/// `trainer.max_shard_size` is spelt as transformers' `max_shard_size`.
extension ShardSize: ConfigValue {
    public init?(configText text: String) { self.init(text) }
    public var configText: String { description }
}
