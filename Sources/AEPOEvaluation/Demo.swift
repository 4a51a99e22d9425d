import AEPOAgent
import AEPOBenchmark
import AEPOCore
import AEPOModel
import AEPOTools
import AEPOTraining
import Foundation

/// `aepo demo`: the demo budget's `Experiment` with AEPO alone — benchmark, SFT cold start, AEPO, and both models
/// evaluated on the held-out questions exactly as `aepo eval` evaluates — all under one directory: `benchmark/`, `sft/`
/// and `aepo/` (runs, each with `eval/eval.json`), `summary.json`, `summary.txt`, `report.html` and `report.md`.
/// Running it again resumes where it stopped.
public struct Demo {
    public var directory: URL
    public var seed: UInt64
    public var budget: ExperimentBudget
    /// The user's settings (`key=value`, as `--set` gives them), applied after the budget's in both phases.
    public var overrides: [String]

    public init(directory: URL, seed: UInt64 = 1, budget: ExperimentBudget = .demo, overrides: [String] = []) {
        self.directory = directory
        self.seed = seed
        self.budget = budget
        self.overrides = overrides
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

    /// Runs (or resumes) the demo, writing its lines with `log` and, on a terminal, each phase's progress on `progress`.
    public func run(log: @escaping (String) -> Void, progress: ProgressLine? = nil) throws -> Summary {
        let start = Date()
        let experiment = Experiment(directory: directory, budget: budget, algorithms: ["aepo"], seeds: 1, firstSeed: Int(seed),
                                    layout: .flat, baseSeed: seed, overrides: overrides, log: log, progress: progress)
        let result = try experiment.run()
        var seconds = result.seconds
        seconds["total"] = Date().timeIntervalSince(start)
        guard let aepo = result.entries.first?.runs.first, let aepoReport = aepo.evaluation, let sftReport = result.start.evaluation else {
            throw InputError("the demo's runs have no evaluation", source: directory.path)
        }
        let summary = Summary(seconds: seconds, sft: sftReport, aepo: aepoReport)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(try encoder.encode(summary), to: directory.appendingPathComponent("summary.json"))
        try AtomicFile.write(summary.text + "\n", to: directory.appendingPathComponent("summary.txt"))
        let report = RunReport(runs: [result.start, aepo], title: "aepo demo: SFT cold start, then AEPO")
        try AtomicFile.write(report.html, to: directory.appendingPathComponent("report.html"))
        try AtomicFile.write(report.markdown, to: directory.appendingPathComponent("report.md"))
        return summary
    }
}
