import AEPOAgent
import AEPOAlgorithms
import AEPOBenchmark
import AEPOCore
import AEPOEvaluation
import AEPOModel
import AEPORollout
import ArgumentParser
import Foundation

/// `aepo eval`: Pass@1, Pass@k, EM, F1, tool calls and format failures per suite from independent sampled runs.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a model on benchmark suites: Pass@1 (mean over runs), Pass@k, EM, F1, tool calls, format failures.",
        discussion: """
            Each question is answered --runs times by independent agent rollouts (temperature 0.6, top-p 0.95 by \
            default, as the authors evaluate; --greedy decodes greedily). Prints a table per suite and writes \
            eval.json and eval.md into --out. The same seed gives the same figures.
            """)

    @OptionGroup var backend: BackendOptions

    @Option(help: "Benchmark directory (corpus.jsonl, questions.jsonl).")
    var data: String

    @Option(help: "Comma-separated suites (default: every suite with questions in --splits).")
    var suites: String = ""

    @Option(help: "Comma-separated question splits to evaluate.")
    var splits = "test,test-ood"

    @Option(help: "At most this many questions per suite and split (0: all).")
    var questions = 0

    @Option(help: "Sampled runs per question (n of Pass@k).")
    var runs = 5

    @Option(help: "Comma-separated k values of Pass@k.")
    var k = "1,5"

    @Option(help: "Sampling temperature.")
    var temperature = Evaluation.defaultTemperature

    @Option(name: .customLong("top-p"), help: "Nucleus (top-p) sampling threshold.")
    var topP = Evaluation.defaultTopP

    @Flag(help: "Greedy decoding instead of sampling.")
    var greedy = false

    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    @Option(name: .customLong("set"), help: "Override an agent key of the grpo preset, e.g. rollout.response_length=512 (repeatable).")
    var overrides: [String] = []

    @Option(help: "Output directory for eval.json and eval.md.")
    var out = "eval"

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1, got \(runs)") }
        guard questions >= 0 else { throw ValidationError("--questions must be ≥ 0, got \(questions)") }
    }

    func run() throws {
        print(try evaluate().table.aligned, terminator: "")
    }

    /// Runs the evaluation, writes eval.json and eval.md, and returns the report.
    func evaluate() throws -> EvaluationReport {
        let ks = try k.split(separator: ",").map { part -> Int in
            guard let value = Int(part.trimmingCharacters(in: .whitespaces)), value >= 1, value <= runs else {
                throw InputError("expected comma-separated integers between 1 and --runs (\(runs)), found '\(part)'", source: "--k")
            }
            return value
        }
        let config = try AlgorithmPreset.named("grpo", source: "--set").config(overrides: overrides, source: "--set")
        let directory = try BenchmarkDirectory.load(from: URL(fileURLWithPath: data))
        let pool = try Evaluation.questions(of: directory, splits: splits.split(separator: ",").map(String.init),
                                            suites: suites.split(separator: ",").map(String.init), perSuiteAndSplit: questions, source: data)

        let sampling = greedy ? SamplingSettings.greedy : SamplingSettings(temperature: Float(temperature), topP: Float(topP))
        try sampling.validate(source: "--temperature/--top-p")
        let agent = try backend.agent(data: directory, sampling: sampling, settings: config.rollout.agentSettings)
        let evaluation = Evaluation(runs: runs, ks: ks, seed: seed)
        let (report, outcomes) = try evaluation.run(agent: agent, sampling: sampling, on: pool, model: backend.model,
                                                    progress: StandardError.progress)
        try Evaluation.write(report, outcomes: outcomes, to: URL(fileURLWithPath: out))
        return report
    }
}
