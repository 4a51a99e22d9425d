import AEPOAgent
import AEPOAlgorithms
import AEPOBenchmark
import AEPOCore
import AEPOModel
import AEPOTokenizer
import AEPOTools
import Foundation

/// A training run of one phase (SFT cold start or RL) over a benchmark directory, with checkpoints that a
/// fresh trainer resumes bit-identically, and per-step metrics.
///
/// The run directory holds `config.json` (the resolved configuration), `metrics.jsonl`, in RL `branch_events.jsonl`
/// and `rollouts.jsonl` (`RolloutLog`), `checkpoints/`, with a KL term `reference/` (the frozen starting weights),
/// and at the end `final/` (a Hugging Face directory with the tokenizer).
///
/// With `model.lora.rank` > 0 a LoRA adapter trains on the frozen starting weights (`model.path`, or the random
/// initialisation of the seed, which a resumed run rebuilds): the optimizer, gradient clipping and checkpoints cover
/// the adapter only, checkpoints hold it in PEFT's layout, the KL terms' reference is the base with the adapter
/// switched off, and the run ends with `final/` (the adapter merged into the base) and `final_adapter/`.
public final class Trainer {
    public let config: TrainingConfig
    public let phase: TrainingPhase
    public let run: URL
    public let model: Qwen3Model
    public let tokenizer: Tokenizer
    public let tokenizerURL: URL
    /// Renders the agent's prompts: the chat template beside `tokenizerURL` (a checkpoint's own), else ChatML.
    public let chatTemplate: ChatTemplate
    public let benchmark: BenchmarkDirectory
    public let optimizer: AdamW
    /// The frozen reference policy of the KL terms (`actor.use_kl_loss`, `algorithm.use_kl_in_reward`): the run's
    /// starting weights, kept in `<run>/reference/`; `nil` without a KL term (and in SFT).
    public let reference: Qwen3Model?
    public let store: CheckpointStore
    public internal(set) var state: TrainerState
    public var sinks: [MetricsSink]
    /// RL: the per-step branch events and trajectories (`branch_events.jsonl`, `rollouts.jsonl`); `nil` in SFT.
    public let rolloutLog: RolloutLog?
    /// RL with `rollout.backend=openai`: the servers rollouts are sampled from, and the name they serve the base model
    /// under; `nil` with the native engine.
    public let servers: RolloutServers?
    let servedBaseName: String?
    /// The policy the servers serve: its version (the steps it had been trained) and the name requests give as `model`.
    var publishedPolicy: (version: Int, name: String)?
    /// A LoRA run's frozen base packed for the native rollout engine, at the first rollout, and kept for the run (through
    /// the policy updates too: the memory estimate counts it beside the activations); every step's engine shares it and
    /// reads the adapter as it is (a full fine-tuning's engine packs the weights again each step).
    var packedBase: PackedModel?
    /// Where the progress lines and warnings go (stderr by default).
    public var log: (String) -> Void
    /// On a terminal, the line that shows every step with the time left instead of the progress lines of `log`.
    public var progress: ProgressLine?
    /// The time left, from the first step this trainer takes.
    private var estimate: ProgressEstimate?

    /// The SFT examples (SFT) or the training questions (RL).
    let examples: [SFTExample]
    let questions: [Question]

    public static let configFile = "config.json"
    public static let metricsFile = "metrics.jsonl"
    public static let finalDirectory = "final"
    public static let finalAdapterDirectory = "final_adapter"
    public static let referenceDirectory = "reference"

    /// Opens a run (`RunStart`): a new one from `model.path` (or a random initialisation) in an empty run directory
    /// (`overwrite`: after removing the run it holds), or the directory's run from its newest complete checkpoint
    /// (`resume`). Clears what a killed process left in the directory, and writes the resolved configuration there.
    /// RL with `rollout.backend=openai` samples from `servers`, which must answer before anything is written.
    public init(config: TrainingConfig, phase: TrainingPhase, start: RunStart = .new, servers: RolloutServers? = nil,
                log: @escaping (String) -> Void = StandardError.write, progress: ProgressLine? = nil) throws {
        self.config = config
        self.phase = phase
        self.log = log
        self.progress = progress
        run = URL(fileURLWithPath: config.trainer.runDir)
        store = CheckpointStore(run: run, keepLast: config.trainer.keepLast, maxShardBytes: config.trainer.maxShardSize.bytes)
        guard !config.data.benchmark.isEmpty else {
            throw InputError("a benchmark directory is required", source: "config", field: "data.benchmark")
        }
        benchmark = try BenchmarkDirectory.load(from: URL(fileURLWithPath: config.data.benchmark))
        try benchmark.checkSuites(config.suiteNames, field: "data.suites")

        Trainer.removeStaleTemporaries(run: run, store: store, log: log)
        let modelTokenizer = config.model.path.isEmpty ? nil : URL(fileURLWithPath: config.model.path).appendingPathComponent(Checkpoint.tokenizerFileName)
        if let modelTokenizer, FileManager.default.fileExists(atPath: modelTokenizer.path) {
            tokenizerURL = modelTokenizer
        } else if let url = benchmark.tokenizerURL {
            tokenizerURL = url
        } else {
            throw InputError("no tokenizer.json in the model or the benchmark directory", source: config.data.benchmark, field: "data.benchmark")
        }
        tokenizer = try Tokenizer(contentsOf: tokenizerURL)
        chatTemplate = try ChatTemplate.beside(tokenizerURL, else: .chatML)
        // The model's shape (an adapter's base has it before any checkpoint is read), then the data, then what the run
        // needs in memory, and only then the model.
        let lora = try config.loraConfig()
        let (loadedTokenizer, tokenizerFile, checkpoints) = (tokenizer, tokenizerURL, store.directory.path)
        let shape = { (restored: Checkpoint?) in
            try Trainer.modelShape(config: config, phase: phase, restored: restored, tokenizer: loadedTokenizer,
                                   tokenizerURL: tokenizerFile, checkpoints: checkpoints)
        }
        let base = lora == nil ? nil : try shape(nil)
        if let lora, let base { try lora.validate(for: base.config, source: base.source, name: TrainingConfig.loraKey) }
        var restored: (weights: CheckpointStore.Weights, optimizer: AdamW, state: TrainerState)?
        switch start {
        case .new: try Trainer.requireEmpty(run: run)
        case .resume: restored = try Trainer.newestCheckpoint(config: config, phase: phase, run: run, store: store,
                                                              adapterBase: base?.config, log: log)
        case .overwrite: break
        }
        var restoredModel: Checkpoint?, restoredAdapter: LoRAAdapter?
        switch restored?.weights {
        case .model(let checkpoint)?: restoredModel = checkpoint
        case .adapter(let adapter)?: restoredAdapter = adapter
        case nil: break
        }
        let modelShape = try base ?? shape(restoredModel)
        let suites = config.suiteNames, maxTokens = modelShape.config.maxPositionEmbeddings
        switch phase {
        case .sft:
            let encoding = TrajectoryEncoding(tokenizer: tokenizer, template: chatTemplate)
            examples = try benchmark.demonstrations
                .filter { suites.isEmpty || suites.contains($0.suite) }
                .map { try SFTExample($0, encoding: encoding, maxTokens: maxTokens) }
            questions = []
            guard !examples.isEmpty else {
                throw InputError("no demonstrations for the chosen suites", source: config.data.benchmark, field: "data.suites")
            }
        case .rl:
            examples = []
            questions = benchmark.questions.filter {
                $0.split == QuestionSplit.train.rawValue && (suites.isEmpty || suites.contains($0.suite))
            }
            guard !questions.isEmpty else {
                throw InputError("no training questions for the chosen suites", source: config.data.benchmark, field: "data.suites")
            }
        }
        // (Weight files that cannot be read are reported when the model is read.)
        let baseIsBFloat16 = lora != nil && !config.model.path.isEmpty
            && (try? Checkpoint.holdsBFloat16Only(URL(fileURLWithPath: config.model.path))) == true
        let longest = examples.map(\.tokens.count).max() ?? 0
        func need(recomputing: Bool) -> MemoryEstimate {
            Trainer.memoryEstimate(config: config, phase: phase, model: modelShape.config, adapter: lora,
                                   storage: baseIsBFloat16 ? .bfloat16 : .float32, longestExample: longest, recomputing: recomputing)
        }
        let recomputes = Trainer.recomputesActivations(config: config, limit: .current, need: need)
        if recomputes && !config.trainer.activationCheckpointing {
            log("warning: this run fits in memory only with each layer's activations recomputed in the backward pass "
                + "(trainer.activation_checkpointing=true): on, for one more forward pass per update")
        }
        try need(recomputing: recomputes).check(subject: "this run", source: modelShape.source, advice: modelShape.advice)

        let remote = phase == .rl && config.sampling.isRemote
        guard remote == (servers != nil) || phase == .sft else {
            throw InputError(remote ? "rollout.backend=openai samples from servers, but none were given (aepo train builds them from "
                                      + "rollout.endpoints)" : "servers were given, but rollout.backend is native",
                             source: "config", field: "rollout.backend")
        }
        self.servers = remote ? servers : nil
        servedBaseName = remote ? try servers!.baseModelName() : nil

        // Everything is checked; the run directory is written from here on.
        if start == .overwrite { try Trainer.removeRun(run: run, store: store) }
        try config.write(to: run.appendingPathComponent(Self.configFile))
        if let restoredModel {
            model = try Trainer.model(restoredModel, tokenizer: tokenizer, source: store.directory.path)
        } else {
            model = try Trainer.startingModel(config: config, tokenizer: tokenizer)
        }
        model.recomputesActivations = recomputes
        let seed = UInt64(config.trainer.seed)
        if let lora {
            try model.attach(try restoredAdapter ?? LoRAAdapter(config: lora, model: model.config,
                                                                 seed: SeededGenerator(seed: seed).derivedSeed(stream: 3)))
        }
        try model.allocateGradients()
        reference = phase == .rl && config.usesReferenceModel && lora == nil
            ? try Trainer.reference(run: run, resume: restored != nil, starting: restored == nil ? model : nil, config: config,
                                 tokenizer: tokenizer, tokenizerURL: tokenizerURL)
            : nil
        reference?.recomputesActivations = recomputes

        let (beta1, beta2) = (Float(config.optim.beta1), Float(config.optim.beta2))
        let weightDecay = Float(phase == .sft ? config.sft.weightDecay : config.algorithm.actor.weightDecay)
        optimizer = try restored?.optimizer ?? AdamW(parameterCount: model.trainableParameters.count, beta1: beta1, beta2: beta2,
                                                     weightDecay: weightDecay)
        state = restored?.state ?? TrainerState(phase: phase, step: 0,
                                                cursor: DataCursor(count: phase == .sft ? examples.count : questions.count, seed: seed),
                                                generator: SeededGenerator(seed: seed).derived(stream: phase == .sft ? 1 : 2))
        state.runIdentity = config.runIdentity
        sinks = [try JSONLMetricsSink(url: run.appendingPathComponent(Self.metricsFile), phase: phase.rawValue, resumedStep: state.step)]
        rolloutLog = phase == .rl ? try RolloutLog(run: run, resumedStep: state.step) : nil
    }

    /// The run's starting weights: `model.path`, or a random initialisation of `model.*`'s size from `trainer.seed`. The
    /// base of a LoRA adapter is frozen, so held in bfloat16 when its checkpoint allows (`ParameterStorage`).
    static func startingModel(config: TrainingConfig, tokenizer: Tokenizer) throws -> Qwen3Model {
        guard !config.model.path.isEmpty else {
            return try Qwen3Model(config: config.modelConfig(vocabularySize: tokenizer.vocabularySize), seed: UInt64(config.trainer.seed))
        }
        let directory = URL(fileURLWithPath: config.model.path)
        guard config.model.lora.rank > 0 else {
            return try model(try Checkpoint.load(directory: directory), tokenizer: tokenizer, source: config.model.path)
        }
        let base = try Checkpoint.loadFrozenModel(directory: directory)
        try checkVocabulary(of: base.config, covers: tokenizer, source: config.model.path)
        return base
    }

    /// A model of `checkpoint`'s weights, whose vocabulary must cover the tokenizer's.
    static func model(_ checkpoint: Checkpoint, tokenizer: Tokenizer, source: String) throws -> Qwen3Model {
        try checkVocabulary(of: checkpoint.config, covers: tokenizer, source: source)
        return try Qwen3Model(config: checkpoint.config, parameters: checkpoint.parameters)
    }

    /// Refuses a model whose vocabulary does not cover the tokenizer's.
    static func checkVocabulary(of model: Qwen3Config, covers tokenizer: Tokenizer, source: String) throws {
        guard model.vocabSize >= tokenizer.vocabularySize else {
            throw InputError("the model's vocabulary (\(model.vocabSize)) is smaller than the tokenizer's (\(tokenizer.vocabularySize))",
                             source: source, field: "model.path")
        }
    }

    /// The frozen reference of the KL terms in full fine-tuning (with an adapter, the base serves): a copy of `starting`
    /// (a new run's model before its first update), saved as `<run>/reference`; a resumed run reloads that directory
    /// (or, when it is missing, rebuilds the starting weights from `model.path` or the seed and saves them). Being
    /// frozen, it is held in bfloat16 when bfloat16 holds its values (`ParameterStorage`).
    static func reference(run: URL, resume: Bool, starting: Qwen3Model?, config: TrainingConfig,
                          tokenizer: Tokenizer, tokenizerURL: URL) throws -> Qwen3Model {
        let url = run.appendingPathComponent(referenceDirectory)
        if resume, Checkpoint.holdsWeights(url) {
            let reference = try Checkpoint.loadFrozenModel(directory: url)
            try checkVocabulary(of: reference.config, covers: tokenizer, source: url.path)
            return reference
        }
        let start = try starting ?? startingModel(config: config, tokenizer: tokenizer)
        let values = start.parameterValues
        try Checkpoint.save(config: start.config, parameters: values, to: url, tokenizer: tokenizerURL)
        return try Qwen3Model(config: start.config, frozenParameters: values)
    }

    /// Steps of the phase (`sft.steps` or `trainer.steps`).
    public var totalSteps: Int { phase == .sft ? config.sft.steps : config.trainer.steps }

    /// Optimizer updates per step.
    var updatesPerStep: Int {
        guard phase == .rl else { return 1 }
        let a = config.algorithm
        return a.actor.ppoEpochs * ((a.data.trainBatchSize + a.actor.ppoMiniBatchSize - 1) / a.actor.ppoMiniBatchSize)
    }

    /// The learning rate of the next optimizer update.
    var learningRate: Float {
        let schedule: LearningRateSchedule
        if phase == .sft {
            let s = config.sft
            schedule = s.schedule.schedule(peak: s.lr, warmupSteps: s.warmupSteps, totalSteps: s.steps, minimumRatio: s.minLRRatio)
        } else {
            let o = config.optim
            schedule = o.schedule.schedule(peak: config.algorithm.actor.lr, warmupSteps: o.warmupSteps,
                                           totalSteps: config.trainer.steps * updatesPerStep, minimumRatio: o.minLRRatio)
        }
        return schedule.learningRate(at: optimizer.step)
    }

    /// Runs steps until `steps` (default: the phase's total) are done, checkpointing every `trainer.save_freq`
    /// steps and at the end; returns the last step's metrics.
    @discardableResult
    public func train(until steps: Int? = nil) throws -> [String: Double] {
        let target = min(steps ?? totalSteps, totalSteps)
        var last: [String: Double] = [:]
        while state.step < target {
            last = try step()
            let freq = config.trainer.saveFreq
            if (freq > 0 && state.step % freq == 0) || state.step == totalSteps { try saveCheckpoint() }
        }
        progress?.finish()
        return last
    }

    /// One step of the phase: draws the step's seed, runs it, records its metrics, and shows them (on the progress line
    /// with the time left, else every `trainer.log_freq` steps and at the last).
    @discardableResult
    public func step() throws -> [String: Double] {
        let clock = Date()
        if estimate == nil { estimate = ProgressEstimate(total: totalSteps, done: state.step) }
        let seed = state.generator.next()
        var metrics = try phase == .sft ? sftStep(seed: seed) : rlStep(seed: seed)
        state.step += 1
        metrics["lr"] = Double(learningRate)
        metrics["time/step_s"] = Date().timeIntervalSince(clock)
        metrics["skipped_updates"] = Double(state.skippedUpdates)
        for sink in sinks { try sink.record(phase: phase.rawValue, step: state.step, metrics: metrics) }
        estimate?.record(done: state.step)
        if let progress, let estimate {
            progress.show("\(phase.rawValue) \(estimate.summary())  \(figures(metrics))")
        } else if state.step % config.trainer.logFreq == 0 || state.step == totalSteps {
            log("\(phase.rawValue) \(state.step)/\(totalSteps)  \(figures(metrics))" + String(format: "  (%.1f s)", metrics["time/step_s"] ?? 0))
        }
        return metrics
    }

    /// Clips the accumulated gradient and takes the optimizer step, unless `loss` or a gradient is not finite
    /// (then the update is skipped and logged). Returns the gradient norm before clipping (`nan` when skipped).
    func applyGradients(loss: Double, maxNorm: Double) -> Double {
        let gradients = model.trainableGradients
        var finite = loss.isFinite
        if finite { for g in gradients where !g.isFinite { finite = false; break } }
        guard finite else {
            state.skippedUpdates += 1
            log("step \(state.step + 1): non-finite loss or gradient; update skipped")
            model.zeroGradients()
            return .nan
        }
        let norm = GradientClipping.clipGlobalNorm(gradients, maxNorm: Float(maxNorm))
        optimizer.update(parameters: model.trainableParameters, gradients: UnsafeBufferPointer(gradients), learningRate: learningRate)
        model.zeroGradients()
        return Double(norm)
    }

    /// Writes a checkpoint of the current step (and prunes old ones).
    public func saveCheckpoint() throws {
        try store.save(model: model, optimizer: optimizer, state: state, tokenizer: tokenizerURL, baseModel: config.model.path)
    }

    /// Writes the current model as `<run>/final` (a Hugging Face directory with the tokenizer; with an adapter, merged
    /// into the base) and the adapter as `<run>/final_adapter` (PEFT's directory); returns the directories written.
    @discardableResult
    public func saveFinal() throws -> [URL] {
        let url = run.appendingPathComponent(Self.finalDirectory)
        guard let adapter = model.adapter else {
            try model.withParameterValues { try Checkpoint.save(config: model.config, weights: $0, to: url, tokenizer: tokenizerURL) }
            return [url]
        }
        var parameters = model.parameterValues
        parameters.withUnsafeMutableBufferPointer { adapter.merge(into: $0) }
        try Checkpoint.save(config: model.config, parameters: parameters, to: url, tokenizer: tokenizerURL)
        let adapterURL = run.appendingPathComponent(Self.finalAdapterDirectory)
        try PEFTAdapterFormat.save(adapter, to: adapterURL, baseModel: config.model.path)
        return [url, adapterURL]
    }

    /// `loss 1.234  grad_norm 0.5  …`: the step's key figures.
    func figures(_ m: [String: Double]) -> String {
        let keys = phase == .sft
            ? ["loss", "grad_norm", "lr", "tokens_per_s"]
            : ["reward", "accuracy", "response_length", "tool_calls", "entropy", "clip_frac_high", "kl", "kl_ref", "grad_norm", "tokens_per_s"]
        return keys.compactMap { key in m[key].map { "\(key) \(String(format: abs($0) >= 100 ? "%.0f" : "%.4g", $0))" } }
            .joined(separator: "  ")
    }
}
