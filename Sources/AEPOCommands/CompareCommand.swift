import AEPOAlgorithms
import AEPOBenchmark
import AEPOCore
import AEPOEvaluation
import AEPOTraining
import ArgumentParser
import Foundation

/// `aepo compare`: the algorithms from one SFT checkpoint with one rollout budget, several seeds each,
/// evaluated and tabulated like the paper (mean ± 95 % CI over seeds), with the analyses and an HTML report.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Train and evaluate several algorithms from the same SFT checkpoint over seeds; a paper-like table and report.",
        discussion: """
            Layout under --out: benchmark/ (generated unless --data), sft/, runs/<algorithm>/seed-<s>/ (each a training \
            run, with its per-step branch_events.jsonl and rollouts.jsonl, and eval/), comparison.md, comparison.txt, report.html, report.md. Running the same command again \
            resumes: finished runs are skipped, unfinished ones continue from their newest checkpoint. Every run \
            shares the budget's model, SFT checkpoint, rollout.n (trajectories per question), questions per step and \
            --steps; --set adds keys for every run.
            """)

    @Option(help: "Comma-separated algorithm presets.")
    var algorithms = AlgorithmPreset.allCases.map(\.rawValue).joined(separator: ",")

    @Option(help: "Seeds per algorithm (1…seeds).")
    var seeds = 3

    @Option(help: "RL steps per run (default: the budget's).")
    var steps: Int?

    @Option(help: "Budget: \(ComparisonBudget.allCases.map(\.rawValue).joined(separator: ", ")).")
    var budget = "quick"

    @Option(help: "An existing benchmark directory (default: generate the budget's under --out).")
    var data: String?

    @Option(help: "Output directory.")
    var out = "runs/compare"

    @Option(help: "Evaluation runs per question (n of Pass@k).")
    var runs = 5

    @Option(help: "Comma-separated k values of Pass@k.")
    var k = "1,5"

    @Option(help: "Questions per suite and split evaluated (default: the budget's; 0: all).")
    var questions: Int?

    @Option(name: .customLong("set"), help: "A training key for every run, key=value (repeatable).")
    var overrides: [String] = []

    func validate() throws {
        guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1, got \(seeds)") }
        guard ComparisonBudget(rawValue: budget) != nil else {
            throw ValidationError("--budget must be one of \(ComparisonBudget.allCases.map(\.rawValue).joined(separator: ", ")), got '\(budget)'")
        }
    }

    func run() throws {
        let result = try compare { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        print(result.table { "*\($0)" }.aligned)
        print(result.analysesTable.aligned, terminator: "")
        print("wrote \(URL(fileURLWithPath: out).appendingPathComponent("comparison.md").path) and report.html")
    }

    /// Runs (or resumes) every stage and writes the tables and the report.
    func compare(log: @escaping (String) -> Void) throws -> AlgorithmComparison {
        let budget = ComparisonBudget(rawValue: budget)!
        let names = algorithms.split(separator: ",").map(String.init)
        for name in names { _ = try AlgorithmPreset.named(name, source: "--algorithms") }
        let root = URL(fileURLWithPath: out)
        let rlSteps = steps ?? budget.steps

        let benchmarkURL = data.map { URL(fileURLWithPath: $0) } ?? root.appendingPathComponent("benchmark")
        if data == nil && !FileManager.default.fileExists(atPath: benchmarkURL.appendingPathComponent(BenchmarkDirectory.questionsFile).path) {
            log("generating the benchmark …")
            try Benchmark.generate(seed: 1, configuration: budget.benchmark).write(to: benchmarkURL)
        }
        let common = budget.training + ["data.benchmark=\(benchmarkURL.path)"] + overrides

        let sftURL = root.appendingPathComponent("sft")
        let sftModel = sftURL.appendingPathComponent(Trainer.finalDirectory)
        if !FileManager.default.fileExists(atPath: sftModel.path) {
            log("SFT cold start …")
            let config = try TrainingConfig.resolve(algorithm: "grpo", file: nil, overrides: common + [
                "trainer.run_dir=\(sftURL.path)", "trainer.seed=1", "trainer.save_freq=50"])
            try train(config, phase: .sft, log: log)
        }

        // Every run, and the SFT start, is evaluated alike: only the model, the seed and the output differ.
        var evaluationArguments = ["--data", benchmarkURL.path, "--runs", String(runs), "--k", k,
                                   "--questions", String(questions ?? budget.evaluationQuestions)]
        for key in common where key.hasPrefix("rollout.response_length") || key.hasPrefix("rollout.max_tool_calls") {
            evaluationArguments += ["--set", key]
        }
        func evaluate(_ run: URL, seed: Int) throws {
            _ = try EvalCommand.parse(evaluationArguments + [
                "--model", run.appendingPathComponent(Trainer.finalDirectory).path, "--seed", String(seed),
                "--out", run.appendingPathComponent(RunLog.evaluationFile).deletingLastPathComponent().path]).evaluate()
        }
        if !FileManager.default.fileExists(atPath: sftURL.appendingPathComponent(RunLog.evaluationFile).path) {
            log("evaluating the SFT start …")
            try evaluate(sftURL, seed: 1)
        }

        var entries: [AlgorithmComparison.Entry] = []
        for name in names {
            var logs: [RunLog] = []
            for seed in 1...seeds {
                let runURL = root.appendingPathComponent("runs/\(name)/seed-\(seed)")
                let evaluation = runURL.appendingPathComponent(RunLog.evaluationFile)
                if !FileManager.default.fileExists(atPath: runURL.appendingPathComponent(Trainer.finalDirectory).path) {
                    log("\(name) seed \(seed) …")
                    let config = try TrainingConfig.resolve(algorithm: name, file: nil, overrides: common + [
                        "model.path=\(sftModel.path)", "trainer.run_dir=\(runURL.path)", "trainer.seed=\(seed)",
                        "trainer.steps=\(rlSteps)", "trainer.save_freq=1"])
                    try train(config, phase: .rl, log: log)
                }
                if !FileManager.default.fileExists(atPath: evaluation.path) {
                    log("evaluating \(name) seed \(seed) …")
                    try evaluate(runURL, seed: seed)
                }
                logs.append(try RunLog.load(runURL))
            }
            entries.append(AlgorithmComparison.Entry(algorithm: name, runs: logs))
        }

        let ks = try k.split(separator: ",").map { part -> Int in
            guard let value = Int(part) else { throw InputError("expected comma-separated integers, found '\(part)'", source: "--k") }
            return value
        }
        let result = AlgorithmComparison(entries: entries, ks: ks, start: try RunLog.load(sftURL))
        let settings = "Budget \(budget.rawValue): \(rlSteps) RL steps per run from one SFT checkpoint, \(seeds) seed(s) per algorithm, "
            + "\(runs) evaluation runs per question (temperature 0.6, top-p 0.95). Training keys: `\((common + ["trainer.steps=\(rlSteps)"]).joined(separator: " "))`."
        try AtomicFile.write(result.markdown(settings: settings), to: root.appendingPathComponent("comparison.md"))
        try AtomicFile.write(result.table { "*\($0)" }.aligned + "\n" + result.analysesTable.aligned, to: root.appendingPathComponent("comparison.txt"))
        let report = RunReport(runs: entries.map { RunLog.averaged(name: $0.algorithm, $0.runs) }, title: "aepo compare",
                               leadingTables: [("Pass@k (percent, mean ± 95 % CI over seeds; * best)", result.table { "*\($0)" }),
                                               ("Analyses (means over seeds and steps)", result.analysesTable)])
        try AtomicFile.write(report.html, to: root.appendingPathComponent("report.html"))
        try AtomicFile.write(report.markdown, to: root.appendingPathComponent("report.md"))
        return result
    }

    /// Trains one phase, resuming from the newest checkpoint when the run has one, and saves the final model.
    private func train(_ config: TrainingConfig, phase: TrainingPhase, log: @escaping (String) -> Void) throws {
        let store = CheckpointStore(run: URL(fileURLWithPath: config.trainer.runDir), keepLast: config.trainer.keepLast)
        let trainer = try Trainer(config: config, phase: phase, resume: store.latest != nil)
        trainer.log = log
        try trainer.logToTensorBoard()
        try trainer.train()
        _ = try trainer.saveFinal()
    }
}
