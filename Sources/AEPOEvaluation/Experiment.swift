import AEPOBenchmark
import AEPOCore
import AEPOTools
import AEPOTraining
import Foundation

/// One experiment, the pipeline behind `aepo demo` and `aepo compare`: benchmark → SFT cold start → RL runs (algorithms ×
/// seeds, all from the SFT checkpoint, seed by seed) → every checkpoint evaluated alike on the held-out splits.
///
/// Every stage is skipped when its output exists and resumed from its newest checkpoint when it was interrupted, so
/// running the same experiment again continues where it stopped. Seed s of every algorithm shares the SFT start and the
/// data order (`trainer.seed = s`), which makes the comparison paired.
public struct Experiment {
    /// Where the runs go: `flat` puts an algorithm's single run at `<directory>/<algorithm>` (the demo), `seeded` at
    /// `<directory>/runs/<algorithm>/seed-<s>`.
    public enum Layout: Sendable { case flat, seeded }

    public var directory: URL
    public var budget: ExperimentBudget
    public var algorithms: [String]
    /// Seeds per algorithm (default: the budget's), numbered from `firstSeed`.
    public var seeds: Int?
    public var firstSeed: Int
    public var layout: Layout
    /// An existing benchmark directory; `nil` generates the budget's under `<directory>/benchmark`.
    public var data: URL?
    /// Seed of the generated benchmark and of the SFT run.
    public var baseSeed: UInt64
    /// The user's training keys, applied after the budget's in every phase.
    public var overrides: [String]
    /// Evaluation: sampled runs per question, k values, questions per suite and split (0: all); the budget's by default.
    public var evaluationRuns: Int
    public var ks: [Int]
    public var evaluationQuestions: Int
    public var log: (String) -> Void
    /// On a terminal, the line on which every training run and evaluation shows its progress with the time left.
    public var progress: ProgressLine?

    public init(directory: URL, budget: ExperimentBudget, algorithms: [String], seeds: Int? = nil, firstSeed: Int = 1,
                layout: Layout = .seeded, data: URL? = nil, baseSeed: UInt64 = 1, overrides: [String] = [],
                log: @escaping (String) -> Void = { _ in }, progress: ProgressLine? = nil) {
        self.directory = directory
        self.budget = budget
        self.algorithms = algorithms
        self.seeds = seeds
        self.firstSeed = firstSeed
        self.layout = layout
        self.data = data
        self.baseSeed = baseSeed
        self.overrides = overrides
        self.evaluationRuns = budget.evaluationRuns
        self.ks = budget.ks
        self.evaluationQuestions = budget.evaluationQuestions
        self.log = log
        self.progress = progress
    }

    /// What the experiment produced: the SFT start and every algorithm's runs (each with its evaluation), and the
    /// seconds of the stages run by this call (`benchmark`, `sft`, `eval_sft`, then `<run>` and `eval_<run>` per run).
    public struct Result {
        public var start: RunLog
        public var entries: [AlgorithmComparison.Entry]
        public var seconds: [String: Double]
    }

    public var benchmarkURL: URL { data ?? directory.appendingPathComponent("benchmark") }
    public var sftURL: URL { directory.appendingPathComponent("sft") }

    /// The run directory of `algorithm`'s seed `seed`.
    public func runURL(_ algorithm: String, seed: Int) -> URL {
        switch layout {
        case .flat: return directory.appendingPathComponent(algorithm)
        case .seeded: return directory.appendingPathComponent("runs/\(algorithm)/seed-\(seed)")
        }
    }

    /// The seeds of `algorithm`'s runs.
    public func seeds(of algorithm: String) -> [Int] { budget.seeds(of: algorithm, requested: seeds).map { $0 + firstSeed - 1 } }

    /// The training keys every phase shares: the budget's, the benchmark, then the user's.
    public var commonKeys: [String] { budget.training + ["data.benchmark=\(benchmarkURL.path)"] + overrides }

    /// The keys of `algorithm`'s run of seed `seed` (its SFT start, schedule and output).
    public func reinforcementKeys(_ algorithm: String, seed: Int) -> [String] {
        budget.training + budget.reinforcement + ["data.benchmark=\(benchmarkURL.path)", "trainer.steps=\(budget.steps)"] + overrides + [
            "model.path=\(sftURL.appendingPathComponent(Trainer.finalDirectory).path)",
            "trainer.run_dir=\(runURL(algorithm, seed: seed).path)", "trainer.seed=\(seed)", "trainer.save_freq=1"]
    }

    /// Runs (or resumes) every stage; `afterEachSeed` sees the runs finished so far once every algorithm's seed s is done.
    public func run(afterEachSeed: (Result) throws -> Void = { _ in }) throws -> Result {
        // Every run's configuration is checked before anything is trained.
        for name in algorithms { _ = try TrainingConfig.resolve(algorithm: name, file: nil, overrides: reinforcementKeys(name, seed: firstSeed)) }
        var seconds: [String: Double] = [:]
        func timed(_ stage: String, _ work: () throws -> Void) rethrows {
            let clock = Date()
            try work()
            seconds[stage] = Date().timeIntervalSince(clock)
        }

        if data == nil && !FileManager.default.fileExists(atPath: benchmarkURL.appendingPathComponent(BenchmarkDirectory.questionsFile).path) {
            log("generating the benchmark …")
            try timed("benchmark") { try Benchmark.generate(seed: baseSeed, configuration: budget.benchmark).write(to: benchmarkURL) }
        }
        let benchmark = try BenchmarkDirectory.load(from: benchmarkURL)
        let questions = try Evaluation.questions(of: benchmark, splits: [QuestionSplit.test.rawValue, QuestionSplit.testOOD.rawValue],
                                                 suites: budget.evaluationSuites, perSuiteAndSplit: evaluationQuestions,
                                                 source: benchmarkURL.path)
        // Every checkpoint is evaluated alike: the agent settings of the RL phase, the authors' sampling; only the
        // model and the seed differ.
        let first = algorithms.first ?? "aepo"
        let agentSettings = try TrainingConfig.resolve(algorithm: first, file: nil, overrides: reinforcementKeys(first, seed: firstSeed))
            .algorithm.rollout.agentSettings
        let evaluation = Evaluation(runs: evaluationRuns, ks: ks, seed: 0)
        func evaluate(_ run: URL, seed: UInt64, stage: String) throws {
            guard !FileManager.default.fileExists(atPath: run.appendingPathComponent(RunLog.evaluationFile).path) else { return }
            log("evaluating \(stage) …")
            try timed("eval_\(stage)") {
                let model = run.appendingPathComponent(Trainer.finalDirectory).path
                let agent = try NativeAgent.load(model: model, tokenizer: nil, data: benchmark, sampling: Evaluation.defaultSampling,
                                                 settings: agentSettings)
                var seeded = evaluation
                seeded.seed = seed
                let (report, outcomes) = try seeded.run(agent: agent, sampling: Evaluation.defaultSampling, on: questions, model: model,
                                                        progress: progress)
                try Evaluation.write(report, outcomes: outcomes, to: run.appendingPathComponent(RunLog.evaluationFile).deletingLastPathComponent())
                log("\(stage) Pass@1: " + report.suites.map { String(format: "%@ %.1f%%", $0.suite, 100 * $0.passAt1) }.joined(separator: ", "))
            }
        }

        if !FileManager.default.fileExists(atPath: sftURL.appendingPathComponent(Trainer.finalDirectory).path) {
            log("SFT cold start …")
            let config = try TrainingConfig.resolve(algorithm: first, file: nil, overrides: commonKeys + [
                "trainer.run_dir=\(sftURL.path)", "trainer.seed=\(baseSeed)", "trainer.save_freq=50"])
            try timed("sft") { try train(config, phase: .sft) }
        }
        try evaluate(sftURL, seed: baseSeed, stage: "sft")

        // Seed-major: every algorithm's seed s before any seed s + 1, so an interrupted experiment already holds paired runs.
        var runs: [String: [RunLog]] = [:]
        func result(_ runs: [String: [RunLog]]) throws -> Result {
            Result(start: try RunLog.load(sftURL), entries: algorithms.map { AlgorithmComparison.Entry(algorithm: $0, runs: runs[$0] ?? []) },
                   seconds: seconds)
        }
        let order = Set(algorithms.flatMap(seeds(of:))).sorted()
        for seed in order {
            for name in algorithms where seeds(of: name).contains(seed) {
                let url = runURL(name, seed: seed)
                let stage = String(url.path.dropFirst(directory.path.count + 1))
                if !FileManager.default.fileExists(atPath: url.appendingPathComponent(Trainer.finalDirectory).path) {
                    log("\(stage) …")
                    let config = try TrainingConfig.resolve(algorithm: name, file: nil, overrides: reinforcementKeys(name, seed: seed))
                    try timed(stage) { try train(config, phase: .rl) }
                }
                try evaluate(url, seed: UInt64(seed), stage: stage)
                runs[name, default: []].append(try RunLog.load(url))
            }
            if seed != order.last { try afterEachSeed(result(runs)) }
        }
        return try result(runs)
    }

    /// Trains one phase, resuming from the newest checkpoint when the run has one (else starting over what an earlier
    /// attempt left before its first checkpoint), and saves the final model.
    private func train(_ config: TrainingConfig, phase: TrainingPhase) throws {
        let store = CheckpointStore(run: URL(fileURLWithPath: config.trainer.runDir), keepLast: config.trainer.keepLast)
        let trainer = try Trainer(config: config, phase: phase, start: store.latest != nil ? .resume : .overwrite, log: log,
                                  progress: progress)
        try trainer.logToTensorBoard()
        try trainer.train()
        try trainer.saveFinal()
    }
}
