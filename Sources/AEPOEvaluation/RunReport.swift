import Foundation

/// `aepo report`: one self-contained HTML page (inline SVG, no scripts, no network) with the training curves
/// and analyses of one or more runs overlaid, and a Markdown summary of the same figures.
public struct RunReport: Sendable {
    public var runs: [RunLog]
    public var title: String
    /// Tables shown first (for example a comparison across algorithms), each with its heading.
    public var leadingTables: [(heading: String, table: TextTable)]

    public init(runs: [RunLog], title: String = "aepo training report", leadingTables: [(heading: String, table: TextTable)] = []) {
        self.runs = runs
        self.title = title
        self.leadingTables = leadingTables
    }

    /// The per-step curves, each (chart title, metric).
    public static let curves: [(title: String, metric: String)] = [
        ("Reward", MetricKey.reward), ("Accuracy (exact match)", MetricKey.accuracy),
        ("Entropy of trained tokens (nats)", MetricKey.entropy), ("High-side clip fraction", MetricKey.clipHigh),
        ("Low-side clip fraction", MetricKey.clipLow), ("Tool calls per trajectory", MetricKey.toolCalls),
        ("Response length (tokens)", MetricKey.responseLength), ("Branches per question", MetricKey.branchesPerQuestion),
        ("Share of branches on the top-3 roots", MetricKey.topThreeRootShare), ("KL to the rollout policy", MetricKey.kl),
        ("Gradient norm", MetricKey.gradNorm),
    ]

    /// Every chart of the page, in order.
    public var charts: [SVGLineChart] {
        var charts = Self.curves.map { curve in
            SVGLineChart(title: curve.title, series: runs.map { run in
                SVGLineChart.Series(name: run.name, points: run.metrics.series(curve.metric).map { (Double($0.step), $0.value) })
            })
        }
        charts.append(SVGLineChart(title: "High-side clips by entropy quartile (mean over steps)", xLabel: "entropy quartile (1 = lowest)",
                                   series: runs.map { run in
            let clipping = EntropyClipping(run.metrics)
            return SVGLineChart.Series(name: run.name, points: clipping.steps.isEmpty ? [] : clipping.meanShares.enumerated().map { (Double($0 + 1), $1) })
        }))
        charts.append(SVGLineChart(title: "Highest-entropy quartile: high-side clip share", series: runs.map { run in
            SVGLineChart.Series(name: run.name, points: run.metrics.series(MetricKey.clipHigh(quartile: 4)).map { (Double($0.step), $0.value) })
        }))
        if runs.contains(where: { !$0.metrics.series(MetricKey.klReference).isEmpty }) {
            charts.append(SVGLineChart(title: "KL to the reference model", series: runs.map { run in
                SVGLineChart.Series(name: run.name, points: run.metrics.series(MetricKey.klReference).map { (Double($0.step), $0.value) })
            }))
        }
        if runs.contains(where: { !$0.rollouts.isEmpty }) {
            let diversity = runs.map { (name: $0.name, steps: SamplingDiversity.perStep($0.groups)) }
            charts.append(SVGLineChart(title: "Distinct answers per group", series: diversity.map { run in
                SVGLineChart.Series(name: run.name, points: run.steps.map { (Double($0.step), $0.answers) })
            }))
            charts.append(SVGLineChart(title: "Distinct tool-call sequences per group", series: diversity.map { run in
                SVGLineChart.Series(name: run.name, points: run.steps.map { (Double($0.step), $0.toolCallSequences) })
            }))
            charts.append(SVGLineChart(title: "Mean pairwise Jaccard distance of a group's trajectories", series: diversity.map { run in
                SVGLineChart.Series(name: run.name, points: run.steps.map { (Double($0.step), $0.jaccard) })
            }))
        }
        if runs.contains(where: { !$0.branchEvents.isEmpty }) {
            charts.append(SVGLineChart(title: "Roots by number of branches received", xLabel: "branches on the root", series: runs.map { run in
                SVGLineChart.Series(name: run.name, points: OverBranching(run.branchEvents).branchesPerRoot.enumerated().map { (Double($0), Double($1)) })
            }))
        }
        return charts
    }

    /// Rows = runs: the last step's reward and accuracy, the entropy from first to last step and its largest jump,
    /// mean tool calls, the mean high-side clip share of the highest-entropy quartile, and the top-3-root share.
    public var summaryTable: TextTable {
        func last(_ run: RunLog, _ metric: String) -> String {
            run.metrics.series(metric).last.map { String(format: "%.3f", $0.value) } ?? "–"
        }
        func mean(_ run: RunLog, _ metric: String) -> String {
            let values = run.metrics.series(metric).map(\.value)
            return values.isEmpty ? "–" : String(format: "%.3f", values.reduce(0, +) / Double(values.count))
        }
        return TextTable(
            header: ["run", "RL steps", "reward (last)", "accuracy (last)", "entropy first → last", "largest entropy jump",
                     "tool calls (mean)", "q4 high clips (mean)", "top-3 root share"],
            rows: runs.map { run in
                let entropy = EntropyDynamics(run.metrics)
                let clipping = EntropyClipping(run.metrics)
                let branching = run.branchEvents.isEmpty ? mean(run, MetricKey.topThreeRootShare)
                    : String(format: "%.3f", OverBranching(run.branchEvents).topThreeShare)
                return [run.name, String(run.metrics.filter { $0.phase == "rl" }.count), last(run, MetricKey.reward), last(run, MetricKey.accuracy),
                        entropy.entropy.isEmpty ? "–" : String(format: "%.3f → %.3f", entropy.entropy.first!, entropy.entropy.last!),
                        entropy.entropy.isEmpty ? "–" : String(format: "%.3f", entropy.largestStepChange),
                        mean(run, MetricKey.toolCalls), clipping.steps.isEmpty ? "–" : String(format: "%.3f", clipping.meanShares[3]), branching]
            })
    }

    /// Rows = run × suite of the runs that have an evaluation.
    public var evaluationTable: TextTable? {
        let evaluated = runs.filter { $0.evaluation != nil }
        guard let first = evaluated.first?.evaluation else { return nil }
        let ks = first.ks.filter { $0 != 1 }
        return TextTable(header: ["run", "suite", "Pass@1"] + ks.map { "Pass@\($0)" } + ["F1", "tool calls"],
                         rows: evaluated.flatMap { run in
            run.evaluation!.suites.map { suite in
                [run.name, suite.suite, TextTable.percent(suite.passAt1)] + ks.map { TextTable.percent(suite.passAtK[String($0)] ?? 0) }
                    + [TextTable.percent(suite.f1), String(format: "%.2f", suite.toolCallsPerQuestion)]
            }
        })
    }

    public var markdown: String {
        var text = "# \(title)\n\nRuns: \(runs.map { "`\($0.name)`" }.joined(separator: ", ")).\n\n## Training\n\n" + summaryTable.markdown
        if let evaluation = evaluationTable {
            text += "\n## Evaluation (percent)\n\n" + evaluation.markdown
        }
        return text
    }

    public var html: String {
        func table(_ table: TextTable) -> String {
            "<table><thead><tr>" + table.header.map { "<th>\(SVGLineChart.escape($0))</th>" }.joined() + "</tr></thead><tbody>"
                + table.rows.map { "<tr>" + $0.map { "<td>\(SVGLineChart.escape($0))</td>" }.joined() + "</tr>" }.joined()
                + "</tbody></table>"
        }
        var body = "<h1>\(SVGLineChart.escape(title))</h1>"
        for (heading, extra) in leadingTables {
            body += "<h2>\(SVGLineChart.escape(heading))</h2>" + table(extra)
        }
        body += "<h2>Summary</h2>" + table(summaryTable)
        if let evaluation = evaluationTable {
            body += "<h2>Evaluation (percent)</h2>" + table(evaluation)
        }
        body += "<h2>Curves</h2><div class=\"charts\">" + charts.map { "<figure>\($0.svg)</figure>" }.joined() + "</div>"
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(SVGLineChart.escape(title))</title>
        <style>
        body { font-family: sans-serif; margin: 24px; color: #222; }
        table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
        th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
        th:first-child, td:first-child { text-align: left; }
        .charts { display: flex; flex-wrap: wrap; gap: 12px; }
        figure { margin: 0; border: 1px solid #eee; padding: 4px; }
        svg text { font-family: sans-serif; }
        </style></head>
        <body>\(body)</body></html>

        """
    }
}
