import AEPOAlgorithms
import AEPOBenchmark
import AEPOCore
import AEPOModel
import AEPOTools
import Foundation

/// `aepo demo`: generate the default benchmark, SFT cold start, AEPO RL, and Pass@1 of both models on the
/// held-out test questions, all under one directory (`benchmark/`, `sft/`, `aepo/`, `summary.json`, `summary.txt`).
public struct Demo {
    public var directory: URL
    public var seed: UInt64
    public var benchmark: BenchmarkConfiguration
    /// Settings both phases share, then the SFT-only and RL-only ones (all `key=value`), then the user's.
    public var overrides: [String]

    /// The defaults: a benchmark of 2-hop bridge questions over a world far larger than the model can memorise, a
    /// ~3 M-parameter Qwen3 (design.md's probe), and an SFT + AEPO schedule sized for about ten minutes on two idle
    /// cores. (Not yet calibrated to show a gain: see the README's figures.)
    public static let defaultBenchmark = BenchmarkConfiguration(
        world: WorldConfiguration(people: 3000, cities: 400, countries: 24, companies: 1200, films: 600, books: 600, universities: 120),
        questions: SuiteSizes(train: 3000, test: 100, testOOD: 100), suites: ["bridge"], vocabularySize: 1024)
    public static let defaultSettings = [
        "model.hidden_size=256", "model.intermediate_size=768", "model.num_layers=4", "model.num_heads=4", "model.num_kv_heads=2",
        "model.head_dim=64", "model.max_positions=512",
        "sft.steps=200", "sft.batch_size=16", "sft.lr=3e-3", "sft.warmup_steps=20",
        "trainer.steps=8", "data.train_batch_size=8", "actor.ppo_mini_batch_size=4", "rollout.n=8", "rollout.initial_rollouts=4",
        "rollout.response_length=160", "rollout.max_tool_calls=4", "actor.optim.lr=5e-5", "trainer.micro_batch_size=32",
        "trainer.log_freq=10",
    ]

    public init(directory: URL, seed: UInt64 = 1, benchmark: BenchmarkConfiguration = Demo.defaultBenchmark, overrides: [String] = []) {
        self.directory = directory
        self.seed = seed
        self.benchmark = benchmark
        self.overrides = Self.defaultSettings + overrides
    }

    /// What the demo measured.
    public struct Summary: Codable, Sendable {
        public var seconds: [String: Double]
        public var sft: [Evaluator.SuiteScore]
        public var aepo: [Evaluator.SuiteScore]

        /// A table of Pass@1 per test suite, SFT against AEPO.
        public var text: String {
            func row(_ cells: [String]) -> String {
                cells[0].padding(toLength: 22, withPad: " ", startingAt: 0)
                    + cells.dropFirst().map { String(repeating: " ", count: max(0, 12 - $0.count)) + $0 }.joined()
            }
            var lines = [row(["suite", "questions", "SFT Pass@1", "AEPO Pass@1", "gain"])]
            for (s, a) in zip(sft, aepo) {
                lines.append(row([s.suite, "\(s.questions)", String(format: "%.1f%%", 100 * s.passAt1),
                                  String(format: "%.1f%%", 100 * a.passAt1), String(format: "%+.1f", 100 * (a.passAt1 - s.passAt1))]))
            }
            let order = ["benchmark", "sft", "eval_sft", "aepo", "eval_aepo", "total"]
            lines.append("time: " + order.compactMap { key in seconds[key].map { String(format: "%@ %.0f s", key, $0) } }.joined(separator: ", "))
            return lines.joined(separator: "\n")
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

        clock = Date()
        let sftConfig = try TrainingConfig.resolve(algorithm: "aepo", file: nil,
                                                   overrides: overrides + common + ["trainer.run_dir=\(directory.appendingPathComponent("sft").path)"])
        let sft = try Trainer(config: sftConfig, phase: .sft)
        sft.log = log
        try sft.train()
        let sftModel = try sft.saveFinal()
        lap("sft", clock)

        let evaluator = Evaluator(tokenizer: sft.tokenizer, environment: sft.benchmark.environment,
                                  agentSettings: sftConfig.algorithm.rollout.agentSettings)
        clock = Date()
        let sftScores = try evaluator.evaluate(sft.model, on: testQuestions)
        lap("eval_sft", clock)
        log("SFT Pass@1: " + sftScores.map { String(format: "%@ %.1f%%", $0.suite, 100 * $0.passAt1) }.joined(separator: ", "))

        clock = Date()
        let rlConfig = try TrainingConfig.resolve(algorithm: "aepo", file: nil, overrides: overrides + common + [
            "model.path=\(sftModel.path)", "trainer.run_dir=\(directory.appendingPathComponent("aepo").path)"])
        let rl = try Trainer(config: rlConfig, phase: .rl)
        rl.log = log
        try rl.train()
        try rl.saveFinal()
        lap("aepo", clock)

        clock = Date()
        let aepoScores = try evaluator.evaluate(rl.model, on: testQuestions)
        lap("eval_aepo", clock)
        seconds["total"] = Date().timeIntervalSince(start)

        let summary = Summary(seconds: seconds, sft: sftScores, aepo: aepoScores)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(try encoder.encode(summary), to: directory.appendingPathComponent("summary.json"))
        try AtomicFile.write(summary.text + "\n", to: directory.appendingPathComponent("summary.txt"))
        return summary
    }

}
