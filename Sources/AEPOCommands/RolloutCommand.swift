import AEPOAgent
import AEPOAlgorithms
import AEPOBenchmark
import AEPOCore
import AEPOModel
import AEPORollout
import AEPOTokenizer
import ArgumentParser
import Foundation

/// `aepo rollout`: sample one batch of trajectories with an algorithm's rollout strategy and write them.
struct RolloutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollout",
        abstract: "Roll out questions with the native engine or an OpenAI-compatible server and the real tools; write trajectories (and branch events) as JSON Lines.",
        discussion: """
            The algorithm's preset decides the strategy (grpo, dapo, … independent; arpo; aepo with entropy \
            pre-monitoring and the consecutive-branch penalty); --set overrides any key (rollout.n=4, \
            rollout.initial_rollouts=2, rollout.response_length=256, rollout.max_tool_calls=3, \
            rollout.temperature=0.6, rollout.branch.penalty_scope=question, …). Prints the batch report as JSON.
            With --backend openai --endpoint URL --model NAME the segments are sampled from an OpenAI-compatible \
            server instead (its /v1/completions with token-id prompts and logprobs).
            """)

    @OptionGroup var backend: BackendOptions

    @Option(help: "Benchmark directory (corpus.jsonl, questions.jsonl).")
    var data: String

    @Option(help: "Algorithm preset: \(AlgorithmPreset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var algorithm = "aepo"

    @Option(help: "Questions to roll out (the first ones of --split).")
    var questions = 4

    @Option(help: "Question split to draw from (train, test, test-ood); empty: every question.")
    var split = "train"

    @Option(help: "Output file for the trajectories (JSON Lines).")
    var out: String

    @Option(help: "Output file for the branch events (JSON Lines).")
    var events: String?

    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    @Option(name: .customLong("set"), help: "Override a configuration key, key=value (repeatable).")
    var overrides: [String] = []

    func validate() throws {
        guard questions >= 1 else { throw ValidationError("--questions must be at least 1, got \(questions)") }
    }

    func run() throws {
        print(try output())
    }

    /// Runs the rollout, writes the files and returns the report as JSON.
    func output() throws -> String {
        let config = try AlgorithmPreset.named(algorithm, source: "--algorithm").config(overrides: overrides, source: "--set")
        let dataDirectory = try BenchmarkDirectory.load(from: URL(fileURLWithPath: data))
        let pool = split.isEmpty ? dataDirectory.questions : dataDirectory.questions.filter { $0.split == split }
        guard !pool.isEmpty else {
            throw InputError("no questions in split '\(split)'", source: data, field: "--split")
        }
        let agent = try backend.agent(data: dataDirectory,
                                      sampling: SamplingSettings(temperature: Float(config.rollout.temperature)),
                                      settings: config.rollout.agentSettings)
        let batch = try Rollout(agent: agent, settings: config.rollout.rolloutSettings)
            .run(Array(pool.prefix(questions)), generator: SeededGenerator(seed: seed))
        try JSONLines.write(batch.trajectories, to: URL(fileURLWithPath: out))
        if let events { try batch.writeEvents(to: URL(fileURLWithPath: events)) }

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(batch.report), as: UTF8.self)
    }
}
