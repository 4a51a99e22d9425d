import AEPOAlgorithms
import AEPOCore
import AEPOModel
import Foundation

extension TrainingConfig: KeyedConfiguration {
    /// One key, with its type and how to read and write it.
    public typealias Key = ConfigKey<TrainingConfig>

    /// The name of the preset a configuration starts from, as written in a config file.
    public static let presetKey = "algorithm.name"

    /// Every key, in the order a resolved config lists them: the preset's name (chosen before any key is applied), the
    /// algorithm's keys (`AlgorithmConfig.keys`), then the trainer's own.
    public static let keys: [Key] = [
        Key(fixed: presetKey, \.algorithm.name, why: "the preset is chosen once, by --algorithm or the config file"),
    ] + AlgorithmConfig.keys.map { Key($0, in: \.algorithm) } + [
        Key(text: "model.path", \.model.path),
        Key("model.hidden_size", \.model.hiddenSize),
        Key("model.intermediate_size", \.model.intermediateSize),
        Key("model.num_layers", \.model.numLayers),
        Key("model.num_heads", \.model.numHeads),
        Key("model.num_kv_heads", \.model.numKeyValueHeads),
        Key("model.head_dim", \.model.headDim),
        Key("model.max_positions", \.model.maxPositions),
        Key("model.tie_embeddings", \.model.tieEmbeddings),
        Key("model.lora.rank", \.model.lora.rank),
        Key("model.lora.alpha", \.model.lora.alpha),
        Key(text: "model.lora.targets", \.model.lora.targets),
        Key("model.lora.dropout", \.model.lora.dropout),
        Key(text: "data.benchmark", \.data.benchmark),
        Key(text: "data.suites", \.data.suites),
        Key("optim.schedule", \.optim.schedule),
        Key("optim.warmup_steps", \.optim.warmupSteps),
        Key("optim.min_lr_ratio", \.optim.minLRRatio),
        Key("optim.beta1", \.optim.beta1),
        Key("optim.beta2", \.optim.beta2),
        Key("sft.steps", \.sft.steps),
        Key("sft.batch_size", \.sft.batchSize),
        Key("sft.lr", \.sft.lr),
        Key("sft.schedule", \.sft.schedule),
        Key("sft.warmup_steps", \.sft.warmupSteps),
        Key("sft.min_lr_ratio", \.sft.minLRRatio),
        Key("sft.weight_decay", \.sft.weightDecay),
        Key("sft.grad_clip", \.sft.gradClip),
        Key("sft.tool_output_weight", \.sft.toolOutputWeight),
        Key("trainer.steps", \.trainer.steps),
        Key("trainer.save_freq", \.trainer.saveFreq),
        Key("trainer.keep_last", \.trainer.keepLast),
        Key("trainer.max_shard_size", \.trainer.maxShardSize),
        Key("trainer.seed", \.trainer.seed),
        Key(text: "trainer.run_dir", \.trainer.runDir),
        Key("trainer.micro_batch_size", \.trainer.microBatchSize),
        Key("trainer.activation_checkpointing", \.trainer.activationCheckpointing),
        Key("trainer.log_freq", \.trainer.logFreq),
        Key("trainer.old_logprob_pass", \.trainer.oldLogProbPass),
        Key("rollout.backend", \.sampling.backend),
        Key(text: "rollout.endpoints", \.sampling.endpoints),
        Key(text: "rollout.api_key_env", \.sampling.apiKeyEnvironment),
        Key("rollout.top_logprobs", \.sampling.topLogprobs),
        Key("rollout.timeout", \.sampling.timeout),
        Key("rollout.retries", \.sampling.retries),
        Key("rollout.concurrency", \.sampling.concurrency),
        Key("rollout.max_staleness", \.sampling.maxStaleness),
        Key("rollout.probe_tolerance", \.sampling.probeTolerance),
        Key("rollout.kv_cache_dtype", \.sampling.kvCacheDataType),
        Key("rollout.max_num_batched_tokens", \.sampling.maxNumBatchedTokens),
    ]

    /// Builds a configuration: the preset (`algorithmName`, else the file's `algorithm.name`, else `aepo`), then the
    /// file's keys (`ConfigFile`: YAML or JSON), then `overrides` (`key=value`), then validation. Errors name the
    /// source and the key, and the line of a YAML file's key.
    public static func resolve(algorithm algorithmName: String?, file: URL?, overrides: [String]) throws -> TrainingConfig {
        let entries = try file.map(ConfigFile.read) ?? []
        let source = file?.path ?? "config"
        let presetEntry = entries.first { $0.key == presetKey }
        let named = algorithmName ?? presetEntry?.value ?? "aepo"
        var config: TrainingConfig
        do {
            let preset = try AlgorithmPreset.named(named, source: algorithmName == nil ? source : "--algorithm", field: presetKey)
            config = TrainingConfig(algorithm: preset.config)
            try config.apply(entries.filter { $0.key != presetKey }, source: source)
        } catch var error as InputError where error.source == source && error.line == nil {
            error.line = entries.first { $0.key == error.field }?.line
            throw error
        }
        try config.apply(overrides: overrides)
        return config
    }

    /// Checks the trainer's ranges (the algorithm validates its own); errors name the key.
    public func validate(source: String = "config") throws {
        func check(_ ok: Bool, _ key: String, _ expected: String) throws { try require(ok, key, expected, source: source) }
        try algorithm.validate(source: source)
        // The model's sizes are bounded as in config.json (`Qwen3Config.maximum…`).
        func size(_ value: Int, _ key: String, _ range: ClosedRange<Int>) throws {
            try check(range.contains(value), key, "\(range.lowerBound)…\(range.upperBound)")
        }
        try size(model.hiddenSize, "model.hidden_size", 1...Qwen3Config.maximumHiddenSize)
        try size(model.intermediateSize, "model.intermediate_size", 1...Qwen3Config.maximumIntermediateSize)
        try size(model.numLayers, "model.num_layers", 1...Qwen3Config.maximumLayers)
        try size(model.numHeads, "model.num_heads", 1...Qwen3Config.maximumHeads)
        try size(model.numKeyValueHeads, "model.num_kv_heads", 1...Qwen3Config.maximumHeads)
        try check(model.numHeads % model.numKeyValueHeads == 0, "model.num_kv_heads", "dividing model.num_heads")
        try size(model.headDim, "model.head_dim", 2...Qwen3Config.maximumHeadDim)
        try check(model.headDim % 2 == 0, "model.head_dim", "an even number")
        try size(model.maxPositions, "model.max_positions", 16...Qwen3Config.maximumPositions)
        try check(model.lora.rank >= 0, Self.loraKey(.rank), "≥ 0 (0: no adapter)")
        try loraConfig(source: source)?.validate(for: nil, source: source, name: Self.loraKey)
        try check(optim.warmupSteps >= 0, "optim.warmup_steps", "≥ 0")
        try check(optim.minLRRatio >= 0 && optim.minLRRatio <= 1, "optim.min_lr_ratio", "in [0, 1]")
        try check(optim.beta1 >= 0 && optim.beta1 < 1, "optim.beta1", "in [0, 1)")
        try check(optim.beta2 >= 0 && optim.beta2 < 1, "optim.beta2", "in [0, 1)")
        try check(sft.steps >= 0, "sft.steps", "≥ 0")
        try check(sft.batchSize >= 1, "sft.batch_size", "≥ 1")
        try check(sft.lr > 0, "sft.lr", "> 0")
        try check(sft.warmupSteps >= 0, "sft.warmup_steps", "≥ 0")
        try check(sft.minLRRatio >= 0 && sft.minLRRatio <= 1, "sft.min_lr_ratio", "in [0, 1]")
        try check(sft.weightDecay >= 0, "sft.weight_decay", "≥ 0")
        try check(sft.gradClip > 0, "sft.grad_clip", "> 0")
        try check(sft.toolOutputWeight >= 0 && sft.toolOutputWeight <= 1, "sft.tool_output_weight", "in [0, 1]")
        try check(trainer.steps >= 0, "trainer.steps", "≥ 0")
        try check(trainer.saveFreq >= 0, "trainer.save_freq", "≥ 0")
        try check(trainer.keepLast >= 1, "trainer.keep_last", "≥ 1")
        try check(trainer.seed >= 0, "trainer.seed", "≥ 0")
        try check(!trainer.runDir.isEmpty, "trainer.run_dir", "a directory")
        try check(trainer.microBatchSize >= 0, "trainer.micro_batch_size", "≥ 0")
        try check(trainer.logFreq >= 1, "trainer.log_freq", "≥ 1")
        try check(!sampling.isRemote || !sampling.endpointList.isEmpty, "rollout.endpoints",
                  "at least one server URL with rollout.backend=openai")
        try check(sampling.isRemote || sampling.endpointList.isEmpty, "rollout.endpoints", "empty with rollout.backend=native")
        try check(sampling.topLogprobs >= 1, "rollout.top_logprobs", "≥ 1")
        try check(sampling.timeout > 0, "rollout.timeout", "> 0")
        try check(sampling.retries >= 0, "rollout.retries", "≥ 0")
        try check((1...64).contains(sampling.concurrency), "rollout.concurrency", "1…64")
        try check(sampling.maxStaleness >= 0, "rollout.max_staleness", "≥ 0")
        try check(sampling.probeTolerance > 0, "rollout.probe_tolerance", "> 0")
        try check(sampling.maxNumBatchedTokens >= 1, "rollout.max_num_batched_tokens", "≥ 1 (tokens per forward pass)")
    }

    /// Writes the resolved configuration as a flat JSON object of dotted keys (readable back with `--config`).
    public func write(to url: URL) throws {
        let object = JSONValue.object(Dictionary(uniqueKeysWithValues: resolved.map { ($0.key, JSONValue.string($0.value)) }))
        try AtomicFile.write(object.serialized(indent: 2) + "\n", to: url)
    }
}
