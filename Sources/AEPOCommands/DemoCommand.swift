import AEPOEvaluation
import ArgumentParser
import Foundation

/// `aepo demo`: benchmark, SFT cold start, AEPO, and SFT vs AEPO Pass@1 on the test suites.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Generate the default benchmark, train an SFT cold start and then AEPO, and compare their Pass@1 on held-out questions.",
        discussion: "Everything goes under --out (benchmark/, sft/, aepo/, summary.json, summary.txt, report.html). Both models are evaluated as aepo eval does (4 runs per question, temperature 0.6, top-p 0.95). Meant for a release build (swift run -c release aepo demo)."
    )

    @Option(help: "Output directory.")
    var out = "runs/demo"

    @Option(help: "Random seed of the benchmark, the initialisation and every rollout.")
    var seed: UInt64 = 1

    @Option(name: .customLong("set"), help: "Override a training key for both phases, key=value (repeatable).")
    var set: [String] = []

    func run() throws {
        let demo = Demo(directory: URL(fileURLWithPath: out), seed: seed, overrides: set)
        let summary = try demo.run { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        print(summary.text)
    }
}
