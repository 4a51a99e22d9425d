import AEPOEvaluation
import AEPOCore
import ArgumentParser
import Foundation

/// `aepo report RUN_DIR…`: a self-contained HTML page with the curves of one or more runs, and a Markdown summary.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an HTML report (inline SVG charts, no network) and a Markdown summary of training runs.",
        discussion: """
            Reads each run's metrics.jsonl, eval/eval.json and branch_events.jsonl when present. Several runs are \
            overlaid on the same charts.
            """)

    @Argument(help: "Run directories (each with metrics.jsonl).")
    var runs: [String]

    @Option(help: "Output HTML file; the Markdown summary goes next to it with the extension .md.")
    var out = "report.html"

    @Option(help: "Page title.")
    var title = "aepo training report"

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("give at least one run directory") }
    }

    func run() throws {
        let report = RunReport(runs: try runs.map { try RunLog.load(URL(fileURLWithPath: $0)) }, title: title)
        let url = URL(fileURLWithPath: out)
        try AtomicFile.write(report.html, to: url)
        try AtomicFile.write(report.markdown, to: url.deletingPathExtension().appendingPathExtension("md"))
        print(report.summaryTable.aligned, terminator: "")
        print("wrote \(url.path)")
    }
}
