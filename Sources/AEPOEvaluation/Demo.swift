import AEPOAgent
import AEPOBenchmark
import AEPOCore
import AEPOModel
import AEPOTools
import AEPOTraining
import Foundation

/// `aepo demo`: generate the default benchmark, SFT cold start, AEPO RL, and both models evaluated on the held-out
/// test questions exactly as `aepo eval` evaluates, all under one directory: `benchmark/`, `sft/` and `aepo/` (runs,
/// each with `eval/eval.json`), `summary.json`, `summary.txt`, `report.html` and `report.md`.
public struct Demo {
    public var directory: URL
    public var seed: UInt64
    public var benchmark: BenchmarkConfiguration
    /// The user's settings (`key=value`, as `--set` gives them), applied after the defaults in both phases.
    public var overrides: [String]
    /// Sampled runs per test question, and the sampling they use.
    public var evaluationRuns: Int
    public var evaluationSampling: SamplingSettings

    /// The defaults, sized for under ten minutes on two idle cores: 1-hop lookup questions over a world far larger than the
    /// model can memorise (8,000 for training), a vocabulary small enough that names split into syllables, one search
    /// result per query, and cold-start demonstrations of which 30 % guess at once without searching (a wrong answer of
    /// the right type), the habit RL must unlearn; a 1 M-parameter Qwen3 trained from scratch by 1,300 SFT steps (tool
    /// output included, so it learns to copy names), then 40 AEPO steps of 16 questions × 8 trajectories sampled at
    /// temperature 0.7 (at 1.0 a model this small writes mostly malformed trajectories).
    public static let defaultBenchmark = BenchmarkConfiguration(
        world: WorldConfiguration(people: 3000, cities: 400, countries: 24, companies: 1200, films: 600, books: 600, universities: 120),
        questions: SuiteSizes(train: 8000, test: 200, testOOD: 100), suites: ["lookup"],
        oracle: OracleConfiguration(checkShare: 0.1, recoveryShare: 0.1, earlyStopShare: 0.05, guessShare: 0.3),
        search: SearchSettings(topK: 1, snippetWords: 20, snippetCharacters: 180, pageCharacters: 600), vocabularySize: 640)
    public static let defaultSettings = [
        "model.hidden_size=128", "model.intermediate_size=384", "model.num_layers=4", "model.num_heads=4", "model.num_kv_heads=2",
        "model.head_dim=32", "model.max_positions=1024",
        "sft.steps=1300", "sft.batch_size=12", "sft.lr=3e-3", "sft.warmup_steps=30", "sft.tool_output_weight=1",
        "trainer.steps=40", "data.train_batch_size=16", "actor.ppo_mini_batch_size=8", "rollout.n=8", "rollout.initial_rollouts=4",
        "rollout.response_length=192", "rollout.max_tool_calls=4", "rollout.temperature=0.7", "actor.optim.lr=1e-4",
        "algorithm.overlong_buffer.len=32",
        "trainer.micro_batch_size=32", "trainer.log_freq=50",
    ]
    /// Settings of the RL phase only (a progress line every 5 of its 40 steps).
    public static let rlSettings = ["trainer.log_freq=5"]

    public init(directory: URL, seed: UInt64 = 1, benchmark: BenchmarkConfiguration = Demo.defaultBenchmark, overrides: [String] = [],
                evaluationRuns: Int = 4, evaluationSampling: SamplingSettings = SamplingSettings(temperature: 0.6, topP: 0.95)) {
        self.directory = directory
        self.seed = seed
        self.benchmark = benchmark
        self.overrides = overrides
        self.evaluationRuns = evaluationRuns
        self.evaluationSampling = evaluationSampling
    }

    /// What the demo measured.
    public struct Summary: Codable, Sendable {
        public var seconds: [String: Double]
        public var sft: EvaluationReport
        public var aepo: EvaluationReport

        /// Pass@1 (and Pass@n) per test suite, SFT against AEPO, and the time of each phase.
        public var text: String {
            let n = sft.runs
            var rows: [[String]] = []
            for (s, a) in zip(sft.suites, aepo.suites) {
                rows.append([s.suite, "\(s.questions)", TextTable.percent(s.passAt1), TextTable.percent(a.passAt1),
                             String(format: "%+.1f", 100 * (a.passAt1 - s.passAt1)),
                             TextTable.percent(s.passAtK[String(n)] ?? 0), TextTable.percent(a.passAtK[String(n)] ?? 0)])
            }
            let table = TextTable(header: ["suite", "questions", "SFT Pass@1", "AEPO Pass@1", "gain", "SFT Pass@\(n)", "AEPO Pass@\(n)"], rows: rows)
            let order = ["benchmark", "sft", "eval_sft", "aepo", "eval_aepo", "total"]
            let time = "time: " + order.compactMap { key in seconds[key].map { String(format: "%@ %.0f s", key, $0) } }.joined(separator: ", ")
            let sampling = "evaluation: \(n) runs per question, temperature \(sft.temperature), top-p \(sft.topP)"
            return table.aligned + sampling + "\n" + time
        }
    }

    public func run(log: @escaping (String) -> Void) throws -> Summary {
        let start = Date()
        var seconds: [String: Double] = [:]
        func lap(_ name: String, _ since: Date) { seconds[name] = Date().timeIntervalSince(since) }

        var clock = Date()
        let benchmarkURL = directory.appendingPathComponent("benchmark")
        log("generating the benchmark …")
        let generated = try Benchmark.generate(seed: seed, configuration: benchmark)
        try generated.write(to: benchmarkURL)
        lap("benchmark", clock)
        let testQuestions = generated.questions.filter { $0.split == QuestionSplit.test.rawValue || $0.split == QuestionSplit.testOOD.rawValue }
            .sorted { ($0.split, $0.suite) < ($1.split, $1.suite) }
        let common = ["data.benchmark=\(benchmarkURL.path)", "trainer.seed=\(seed)"]
        let evaluation = Evaluation(runs: evaluationRuns, ks: evaluationRuns > 1 ? [1, evaluationRuns] : [1], seed: seed)

        /// Evaluates a trained run's model and writes `<run>/eval/`.
        func evaluate(_ trainer: Trainer, name: String) throws -> EvaluationReport {
            let agent = AgentLoop(backend: NativeSampler(engine: InferenceEngine(model: trainer.model), sampling: evaluationSampling),
                                  tokenizer: trainer.tokenizer, environment: trainer.benchmark.environment,
                                  settings: trainer.config.algorithm.rollout.agentSettings)
            let (report, outcomes) = try evaluation.run(agent: agent, sampling: evaluationSampling, on: testQuestions, model: name)
            try Evaluation.write(report, outcomes: outcomes, to: trainer.run.appendingPathComponent("eval"))
            log("\(name) Pass@1: " + report.suites.map { String(format: "%@ %.1f%%", $0.suite, 100 * $0.passAt1) }.joined(separator: ", "))
            return report
        }

        clock = Date()
        let sftConfig = try TrainingConfig.resolve(algorithm: "aepo", file: nil,
                                                   overrides: Self.defaultSettings + overrides + common + ["trainer.run_dir=\(directory.appendingPathComponent("sft").path)"])
        let sft = try Trainer(config: sftConfig, phase: .sft)
        sft.log = log
        try sft.train()
        let sftModel = try sft.saveFinal()
        lap("sft", clock)

        clock = Date()
        let sftReport = try evaluate(sft, name: "SFT")
        lap("eval_sft", clock)

        clock = Date()
        let rlConfig = try TrainingConfig.resolve(algorithm: "aepo", file: nil, overrides: Self.defaultSettings + Self.rlSettings + overrides + common + [
            "model.path=\(sftModel.path)", "trainer.run_dir=\(directory.appendingPathComponent("aepo").path)"])
        let rl = try Trainer(config: rlConfig, phase: .rl)
        rl.log = log
        try rl.train()
        try rl.saveFinal()
        lap("aepo", clock)

        clock = Date()
        let aepoReport = try evaluate(rl, name: "AEPO")
        lap("eval_aepo", clock)
        seconds["total"] = Date().timeIntervalSince(start)

        let summary = Summary(seconds: seconds, sft: sftReport, aepo: aepoReport)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(try encoder.encode(summary), to: directory.appendingPathComponent("summary.json"))
        try AtomicFile.write(summary.text + "\n", to: directory.appendingPathComponent("summary.txt"))
        let report = RunReport(runs: try [sft.run, rl.run].map { try RunLog.load($0) }, title: "aepo demo: SFT cold start, then AEPO")
        try AtomicFile.write(report.html, to: directory.appendingPathComponent("report.html"))
        try AtomicFile.write(report.markdown, to: directory.appendingPathComponent("report.md"))
        return summary
    }
}
