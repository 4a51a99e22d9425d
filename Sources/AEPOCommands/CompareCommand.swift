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
            --steps; seed s of every algorithm shares the data order, so comparison.md reports the paired differences \
            aepo − X. --set adds keys for every run. Budgets: \(ExperimentBudget.all.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ")).
            """)

    @Option(help: "Comma-separated algorithm presets.")
    var algorithms = AlgorithmPreset.allCases.map(\.rawValue).joined(separator: ",")

    @Option(help: "Seeds per algorithm, 1…seeds (default: the budget's; the deep budget gives grpo, arpo and aepo at least 5).")
    var seeds: Int?

    @Option(help: "RL steps per run (default: the budget's).")
    var steps: Int?

    @Option(help: "Budget: \(ExperimentBudget.all.map(\.name).joined(separator: ", ")).")
    var budget = ExperimentBudget.quick.name

    @Option(help: "An existing benchmark directory (default: generate the budget's under --out).")
    var data: String?

    @Option(help: "Output directory.")
    var out = "runs/compare"

    @Option(help: "Evaluation runs per question (n of Pass@k; default: the budget's).")
    var runs: Int?

    @Option(help: "Comma-separated k values of Pass@k (default: the budget's).")
    var k: String?

    @Option(help: "Questions per suite and split evaluated (default: the budget's; 0: all).")
    var questions: Int?

    @Option(name: .customLong("set"), help: "A training key for every run, key=value (repeatable).")
    var overrides: [String] = []

    func validate() throws {
        if let seeds, seeds < 1 { throw ValidationError("--seeds must be at least 1, got \(seeds)") }
        if let runs, runs < 1 { throw ValidationError("--runs must be at least 1, got \(runs)") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1, got \(steps)") }
    }

    func run() throws {
        let result = try compare(log: StandardError.write, progress: StandardError.progress)
        print(result.table { "*\($0)" }.aligned)
        if let paired = result.pairedTable(reference: AlgorithmPreset.aepo.rawValue, significant: { "*\($0)" }) { print(paired.aligned) }
        print(result.analysesTable.aligned, terminator: "")
        print("wrote \(URL(fileURLWithPath: out).appendingPathComponent("comparison.md").path) and report.html")
    }

    /// Runs (or resumes) every stage and writes the tables and the report; `progress` shows each stage's progress.
    func compare(log: @escaping (String) -> Void, progress: ProgressLine? = nil) throws -> AlgorithmComparison {
        var chosen = try ExperimentBudget.named(budget, source: "--budget")
        if let steps { chosen.steps = steps }
        let names = algorithms.split(separator: ",").map(String.init)
        for name in names { _ = try AlgorithmPreset.named(name, source: "--algorithms") }
        let root = URL(fileURLWithPath: out)
        var experiment = Experiment(directory: root, budget: chosen, algorithms: names, seeds: seeds,
                                    data: data.map { URL(fileURLWithPath: $0) }, overrides: overrides, log: log, progress: progress)
        if let runs { experiment.evaluationRuns = runs }
        if let questions { experiment.evaluationQuestions = questions }
        if let k {
            experiment.ks = try k.split(separator: ",").map { part -> Int in
                guard let value = Int(part), value >= 1, value <= experiment.evaluationRuns else {
                    throw InputError("expected comma-separated integers between 1 and the runs per question (\(experiment.evaluationRuns)), found '\(part)'",
                                     source: "--k")
                }
                return value
            }
        }
        let seedCounts = Set(names.map { experiment.seeds(of: $0).count }).sorted().map(String.init).joined(separator: " or ")
        let settings = "Budget \(chosen.name): \(chosen.steps) RL steps per run from one SFT checkpoint, \(seedCounts) seed(s) per algorithm, "
            + "\(experiment.evaluationRuns) evaluation runs per question (temperature \(Evaluation.defaultTemperature), top-p \(Evaluation.defaultTopP)). "
            + "Training keys: `\((experiment.commonKeys + chosen.reinforcement + ["trainer.steps=\(chosen.steps)"]).joined(separator: " "))`."
        // The tables are written after every seed round, so an interrupted comparison already reports its paired runs.
        let outcome = try experiment.run { partial in
            try write(AlgorithmComparison(entries: partial.entries, ks: experiment.ks, start: partial.start), settings: settings, to: root)
        }
        let result = AlgorithmComparison(entries: outcome.entries, ks: experiment.ks, start: outcome.start)
        try write(result, settings: settings, to: root)
        return result
    }

    /// `comparison.md`, `comparison.txt`, `report.html` and `report.md` of `result` under `root`.
    private func write(_ result: AlgorithmComparison, settings: String, to root: URL) throws {
        try AtomicFile.write(result.markdown(settings: settings), to: root.appendingPathComponent("comparison.md"))
        var text = result.table { "*\($0)" }.aligned + "\n"
        if let paired = result.pairedTable(reference: AlgorithmPreset.aepo.rawValue, significant: { "*\($0)" }) { text += paired.aligned + "\n" }
        try AtomicFile.write(text + result.analysesTable.aligned, to: root.appendingPathComponent("comparison.txt"))
        let report = RunReport(runs: result.entries.filter { !$0.runs.isEmpty }.map { RunLog.averaged(name: $0.algorithm, $0.runs) },
                               title: "aepo compare",
                               leadingTables: [("Pass@k (percent, mean ± 95 % CI over seeds; * best)", result.table { "*\($0)" }),
                                               ("Analyses (means over seeds and steps)", result.analysesTable)])
        try AtomicFile.write(report.html, to: root.appendingPathComponent("report.html"))
        try AtomicFile.write(report.markdown, to: root.appendingPathComponent("report.md"))
    }
}
