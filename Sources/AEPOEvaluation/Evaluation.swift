import AEPOAgent
import AEPOBenchmark
import AEPOCore
import AEPOModel
import AEPORollout
import AEPOTools
import Foundation

/// Evaluation of an agent on questions: each question answered `runs` times by independent rollouts, one
/// outcome per trajectory, then Pass@1 (mean over runs), Pass@k (`1 − C(n−c, k)/C(n, k)`), EM, F1, tool calls and
/// format failures per suite. `aepo eval` and `aepo demo` both evaluate through it.
public struct Evaluation: Sendable {
    /// The authors' evaluation sampling: temperature 0.6, top-p 0.95 (`aepo eval`'s defaults and every experiment's).
    public static let defaultTemperature = 0.6, defaultTopP = 0.95
    public static let defaultSampling = SamplingSettings(temperature: Float(defaultTemperature), topP: Float(defaultTopP))

    /// Runs per question (n of Pass@k).
    public var runs: Int
    /// The k values of Pass@k, each between 1 and `runs`.
    public var ks: [Int]
    public var seed: UInt64

    public init(runs: Int, ks: [Int], seed: UInt64) {
        self.runs = runs
        self.ks = ks
        self.seed = seed
    }

    /// The evaluation's outcomes and report for `agent` (sampling with `sampling`) on `questions`; `progress` shows the
    /// trajectories finished with the time left.
    public func run(agent: AgentLoop, sampling: SamplingSettings, on questions: [Question], model: String,
                    progress: ProgressLine? = nil) throws -> (report: EvaluationReport, outcomes: [QuestionOutcome]) {
        var estimate = ProgressEstimate(total: questions.count * runs)
        let batch = try Rollout(agent: agent, settings: RolloutSettings(strategy: .independent, trajectoriesPerQuestion: runs))
            .run(questions, generator: SeededGenerator(seed: seed), finished: progress.map { line in { finished in
                estimate.record(done: finished)
                line.show("eval " + estimate.summary(unit: "trajectory"))
            } })
        progress?.finish()
        let outcomes = EvaluationReport.outcomes(of: batch.groups, questions: questions)
        // The settings as written (0.6, not 0.6000000238): a Float's shortest decimal.
        func decimal(_ value: Float) -> Double { Double(value.description) ?? Double(value) }
        let greedy = sampling.temperature == 0
        let report = EvaluationReport(model: model, seed: seed, runs: runs, ks: ks, temperature: greedy ? 0 : decimal(sampling.temperature),
                                      topP: greedy ? 1 : decimal(sampling.topP), suites: try SuiteSummary.summarize(outcomes, ks: ks))
        return (report, outcomes)
    }

    /// The questions of `splits` (and of `suites`, all when empty) in file order, at most `perSuiteAndSplit` of each
    /// suite and split (0: all); an error names a requested suite without questions, or an empty selection.
    public static func questions(of directory: BenchmarkDirectory, splits: [String], suites: [String] = [],
                                 perSuiteAndSplit: Int = 0, source: String) throws -> [Question] {
        var pool = directory.questions.filter { splits.contains($0.split) }
        if !suites.isEmpty {
            if let missing = suites.first(where: { name in !pool.contains { $0.suite == name } }) {
                throw InputError("no questions of suite '\(missing)' in splits \(splits.joined(separator: ","))", source: source, field: "--suites")
            }
            pool = pool.filter { suites.contains($0.suite) }
        }
        guard !pool.isEmpty else { throw InputError("no questions in splits \(splits.joined(separator: ","))", source: source, field: "--splits") }
        guard perSuiteAndSplit > 0 else { return pool }
        var taken: [String: Int] = [:]
        return pool.filter { question in
            taken["\(question.suite)/\(question.split)", default: 0] += 1
            return taken["\(question.suite)/\(question.split)"]! <= perSuiteAndSplit
        }
    }

    /// Writes what `run` returned into `directory`: `eval.json`, `eval.md` and `outcomes.jsonl`.
    public static func write(_ report: EvaluationReport, outcomes: [QuestionOutcome], to directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(try encoder.encode(report), to: directory.appendingPathComponent("eval.json"))
        try AtomicFile.write(report.markdown, to: directory.appendingPathComponent("eval.md"))
        try JSONLines.write(outcomes, to: directory.appendingPathComponent("outcomes.jsonl"))
    }
}
