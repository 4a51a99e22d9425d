import AEPOCore
import AEPOEvaluation
import ArgumentParser
import Foundation

/// `aepo demo`: benchmark, SFT cold start, AEPO, and SFT vs AEPO Pass@1 on the test suites.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Generate the default benchmark, train an SFT cold start and then AEPO, and compare their Pass@1 on held-out questions.",
        discussion: """
            Everything goes under --out (benchmark/, sft/, aepo/, summary.json, summary.txt, report.html). Both models are \
            evaluated as aepo eval does (temperature 0.6, top-p 0.95). Running the same command again resumes where it \
            stopped. Budgets: \(ExperimentBudget.all.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ")). \
            Meant for a release build (swift run -c release aepo demo).
            """
    )

    @Option(help: "Output directory (default: runs/demo, or runs/demo-<budget> for another budget).")
    var out: String?

    @Option(help: "Budget: \(ExperimentBudget.all.map(\.name).joined(separator: ", ")).")
    var budget = ExperimentBudget.demo.name

    @Option(help: "Random seed of the benchmark, the initialisation and every rollout.")
    var seed: UInt64 = 1

    @Option(name: .customLong("set"), help: "Override a training key for both phases, key=value (repeatable).")
    var set: [String] = []

    func validate() throws {
        guard seed >= 1 else { throw ValidationError("--seed must be at least 1, got \(seed)") }
    }

    func run() throws {
        let chosen = try ExperimentBudget.named(budget, source: "--budget")
        let directory = out ?? (chosen.name == ExperimentBudget.demo.name ? "runs/demo" : "runs/demo-\(chosen.name)")
        let demo = Demo(directory: URL(fileURLWithPath: directory), seed: seed, budget: chosen, overrides: set)
        let summary = try demo.run(log: StandardError.write, progress: StandardError.progress)
        print(summary.text)
    }
}
