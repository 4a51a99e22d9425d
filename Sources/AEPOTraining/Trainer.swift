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
/// The run directory holds `config.json` (the resolved configuration), `metrics.jsonl`, `checkpoints/` and,
/// at the end, `final/` (a Hugging Face directory with the tokenizer).
public final class Trainer {
    public let config: TrainingConfig
    public let phase: TrainingPhase
    public let run: URL
    public let model: Qwen3Model
    public let tokenizer: Tokenizer
    public let tokenizerURL: URL
    public let benchmark: BenchmarkDirectory
    public let optimizer: AdamW
    public let store: CheckpointStore
    public internal(set) var state: TrainerState
    public var sinks: [MetricsSink]
    /// Where the progress lines go (stderr by default).
    public var log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }

    /// The SFT examples (SFT) or the training questions (RL).
    let examples: [SFTExample]
    let questions: [Question]

    public static let configFile = "config.json"
    public static let metricsFile = "metrics.jsonl"
    public static let finalDirectory = "final"

    /// Opens a run: a new one from `model.path` (or a random initialisation), or, with `resume`, the run directory's
    /// newest checkpoint. Writes the resolved configuration into the run directory.
    public init(config: TrainingConfig, phase: TrainingPhase, resume: Bool = false) throws {
        self.config = config
        self.phase = phase
        run = URL(fileURLWithPath: config.trainer.runDir)
        store = CheckpointStore(run: run, keepLast: config.trainer.keepLast)
        guard !config.data.benchmark.isEmpty else {
            throw InputError("a benchmark directory is required", source: "config", field: "data.benchmark")
        }
        benchmark = try BenchmarkDirectory.load(from: URL(fileURLWithPath: config.data.benchmark))

        let start: Checkpoint?
        var restored: (optimizer: AdamW, state: TrainerState)?
        if resume {
            guard let latest = store.latest else { throw InputError("no checkpoint to resume from", source: store.directory.path) }
            let loaded = try CheckpointStore.load(latest)
            guard loaded.state.phase == phase else {
                throw InputError("the checkpoint is of phase \(loaded.state.phase.rawValue), not \(phase.rawValue)", source: latest.path)
            }
            start = loaded.checkpoint
            restored = (loaded.optimizer, loaded.state)
        } else if !config.model.path.isEmpty {
            start = try Checkpoint.load(directory: URL(fileURLWithPath: config.model.path))
        } else {
            start = nil
        }
        let modelTokenizer = config.model.path.isEmpty ? nil : URL(fileURLWithPath: config.model.path).appendingPathComponent(Checkpoint.tokenizerFileName)
        if let modelTokenizer, FileManager.default.fileExists(atPath: modelTokenizer.path) {
            tokenizerURL = modelTokenizer
        } else if let url = benchmark.tokenizerURL {
            tokenizerURL = url
        } else {
            throw InputError("no tokenizer.json in the model or the benchmark directory", source: config.data.benchmark, field: "data.benchmark")
        }
        tokenizer = try Tokenizer(contentsOf: tokenizerURL)
        if let start {
            guard start.config.vocabSize >= tokenizer.vocabularySize else {
                throw InputError("the model's vocabulary (\(start.config.vocabSize)) is smaller than the tokenizer's (\(tokenizer.vocabularySize))",
                                 source: config.model.path, field: "model.path")
            }
            model = Qwen3Model(config: start.config, parameters: start.parameters)
        } else {
            model = Qwen3Model(config: config.modelConfig(vocabularySize: tokenizer.vocabularySize), seed: UInt64(config.trainer.seed))
        }

        let seed = UInt64(config.trainer.seed)
        let suites = config.suiteNames, loadedTokenizer = tokenizer, maxTokens = model.config.maxPositionEmbeddings
        switch phase {
        case .sft:
            examples = benchmark.demonstrations
                .filter { suites.isEmpty || suites.contains($0.suite) }
                .map { SFTExample($0, tokenizer: loadedTokenizer, maxTokens: maxTokens) }
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
        let (beta1, beta2) = (Float(config.optim.beta1), Float(config.optim.beta2))
        let weightDecay = Float(phase == .sft ? config.sft.weightDecay : config.algorithm.actor.weightDecay)
        optimizer = restored?.optimizer ?? AdamW(parameterCount: model.layout.totalCount, beta1: beta1, beta2: beta2, weightDecay: weightDecay)
        state = restored?.state ?? TrainerState(phase: phase, step: 0,
                                                cursor: DataCursor(count: phase == .sft ? examples.count : questions.count, seed: seed),
                                                generator: SeededGenerator(seed: seed).derived(stream: phase == .sft ? 1 : 2))
        try config.write(to: run.appendingPathComponent(Self.configFile))
        sinks = [try JSONLMetricsSink(url: run.appendingPathComponent(Self.metricsFile), phase: phase.rawValue, resumedStep: state.step)]
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
        return last
    }

    /// One step of the phase: draws the step's seed, runs it, records its metrics.
    @discardableResult
    public func step() throws -> [String: Double] {
        let clock = Date()
        let seed = state.generator.next()
        var metrics = try phase == .sft ? sftStep(seed: seed) : rlStep(seed: seed)
        state.step += 1
        metrics["lr"] = Double(learningRate)
        metrics["time/step_s"] = Date().timeIntervalSince(clock)
        metrics["skipped_updates"] = Double(state.skippedUpdates)
        for sink in sinks { try sink.record(phase: phase.rawValue, step: state.step, metrics: metrics) }
        if state.step % config.trainer.logFreq == 0 || state.step == totalSteps { log(progressLine(metrics)) }
        return metrics
    }

    /// Clips the accumulated gradient and takes the optimizer step, unless `loss` or a gradient is not finite
    /// (then the update is skipped and logged). Returns the gradient norm before clipping (`nan` when skipped).
    func applyGradients(loss: Double, maxNorm: Double) -> Double {
        let gradients = model.gradients
        var finite = loss.isFinite
        if finite { for g in gradients where !g.isFinite { finite = false; break } }
        guard finite else {
            state.skippedUpdates += 1
            log("step \(state.step + 1): non-finite loss or gradient; update skipped")
            model.zeroGradients()
            return .nan
        }
        let norm = GradientClipping.clipGlobalNorm(gradients, maxNorm: Float(maxNorm))
        optimizer.update(parameters: model.parameters, gradients: UnsafeBufferPointer(gradients), learningRate: learningRate)
        model.zeroGradients()
        return Double(norm)
    }

    /// Writes a checkpoint of the current step (and prunes old ones).
    public func saveCheckpoint() throws {
        try store.save(model: model, optimizer: optimizer, state: state, tokenizer: tokenizerURL)
    }

    /// Writes the current model as `<run>/final` (a Hugging Face directory with the tokenizer) and returns its URL.
    @discardableResult
    public func saveFinal() throws -> URL {
        let url = run.appendingPathComponent(Self.finalDirectory)
        try Checkpoint.save(config: model.config, parameters: model.parameterValues, to: url, tokenizer: tokenizerURL)
        return url
    }

    /// `sft 12/300 loss 1.234 …` with the step's key figures.
    func progressLine(_ m: [String: Double]) -> String {
        let keys = phase == .sft
            ? ["loss", "grad_norm", "lr", "tokens_per_s"]
            : ["reward", "accuracy", "response_length", "tool_calls", "entropy", "clip_frac_high", "kl", "grad_norm", "tokens_per_s"]
        let figures = keys.compactMap { key in m[key].map { "\(key) \(String(format: abs($0) >= 100 ? "%.0f" : "%.4g", $0))" } }
        return "\(phase.rawValue) \(state.step)/\(totalSteps)  " + figures.joined(separator: "  ")
            + String(format: "  (%.1f s)", m["time/step_s"] ?? 0)
    }
}
