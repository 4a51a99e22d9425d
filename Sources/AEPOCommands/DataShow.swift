import AEPOBenchmark
import AEPOCore
import AEPOTokenizer
import ArgumentParser
import Foundation

/// `aepo data show DIR`: statistics and a few samples of a benchmark directory (generated, or a
/// user's own `corpus.jsonl` and `questions.jsonl`).
struct DataShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print the statistics of a benchmark directory and a few sample questions and demonstrations."
    )

    @Argument(help: "Benchmark directory (needs corpus.jsonl and questions.jsonl).")
    var directory: String

    @Option(help: "Sample questions to print per suite.")
    var samples = 2

    @Option(help: "Show only this suite.")
    var suite: String?

    func validate() throws {
        guard samples >= 0 else { throw ValidationError("--samples must not be negative, got \(samples)") }
    }

    func run() throws {
        print(try output())
    }

    /// The statistics and samples as text.
    func output() throws -> String {
        var lines: [String] = []
        let data = try BenchmarkDirectory.load(from: URL(fileURLWithPath: directory))
        let suites = Array(Set(data.questions.map(\.suite))).sorted()
        if let suite, !suites.contains(suite) {
            throw InputError("unknown suite '\(suite)'; this directory has: \(suites.joined(separator: ", "))", source: "--suite")
        }
        var meanTokens: Double?
        if let url = data.tokenizerURL, !data.demonstrations.isEmpty {
            let tokenizer = try Tokenizer(contentsOf: url)
            meanTokens = Double(data.demonstrations.map { tokenizer.encode($0.text).count }.reduce(0, +)) / Double(data.demonstrations.count)
        }
        lines.append(BenchmarkStatistics(data).report(meanTokens: meanTokens))
        for name in suites where samples > 0 && (suite == nil || suite == name) {
            lines.append("\n== \(name)")
            // Round-robin over the splits, so the samples show train, test and test-ood questions.
            let bySplit = Dictionary(grouping: data.questions.filter { $0.suite == name }, by: \.split)
            let splits = bySplit.keys.sorted()
            let picked = (0..<samples).compactMap { i in bySplit[splits[i % splits.count]]!.dropFirst(i / splits.count).first }
            for question in picked {
                lines.append("[\(question.split)] \(question.question)  → \(question.answers.joined(separator: " | "))")
            }
            if let demonstration = data.demonstrations.first(where: { $0.suite == name }) {
                lines.append("-- demonstration (\(demonstration.style.rawValue)) for: \(demonstration.question)")
                lines.append(demonstration.text)
            }
        }
        return lines.joined(separator: "\n")
    }
}
