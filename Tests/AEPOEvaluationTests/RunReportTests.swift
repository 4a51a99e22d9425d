@testable import AEPOEvaluation
import Foundation
import XCTest

final class RunReportTests: XCTestCase {
    private func run(_ name: String, entropy: [Double]) -> RunLog {
        RunLog(name: name, metrics: entropy.enumerated().map { step, h in
            MetricsRecord(phase: "rl", step: step + 1, values: [
                MetricKey.entropy: h, MetricKey.reward: Double(step) / 10, MetricKey.toolCalls: 2,
                MetricKey.clipHigh(quartile: 1): 0, MetricKey.clipHigh(quartile: 2): 0.1,
                MetricKey.clipHigh(quartile: 3): 0.2, MetricKey.clipHigh(quartile: 4): 0.4,
            ])
        } + [MetricsRecord(phase: "sft", step: 1, values: ["loss": 3])])
    }

    func testTicksAreRoundAndCoverTheRange() {
        XCTAssertEqual(SVGLineChart.ticks(0, 1), [0, 0.25, 0.5, 0.75, 1])
        XCTAssertEqual(SVGLineChart.ticks(3, 17), [5, 10, 15])
        XCTAssertEqual(SVGLineChart.ticks(2, 2), [2])
        // Three whole steps: ticks only at 1, 2, 3 (not 1.5, 2.5).
        let svg = SVGLineChart(title: "t", series: [.init(name: "a", points: [(1, 0), (2, 1), (3, 0)])]).svg
        XCTAssertTrue(svg.contains(">2</text>"))
        XCTAssertFalse(svg.contains(">1.5</text>"))
    }

    func testHTMLIsSelfContainedWithOneChartPerCurveAndEscapedNames() {
        let report = RunReport(runs: [run("grpo <seed 1>", entropy: [1, 0.5, 0.2]), run("aepo", entropy: [1, 1.1, 1.0])])
        let html = report.html
        XCTAssertFalse(html.contains("<script"))
        XCTAssertFalse(html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http"))
        XCTAssertEqual(html.components(separatedBy: "<svg ").count - 1, RunReport.curves.count + 2)
        XCTAssertTrue(html.contains("grpo &lt;seed 1&gt;"))
        XCTAssertFalse(html.contains("<seed 1>"))
        // Curves with data have polylines; a metric no run logged (branches per question) says so.
        XCTAssertTrue(report.charts[2].svg.contains("<polyline"))
        XCTAssertFalse(report.charts.last!.svg.contains("no data"))
        XCTAssertTrue(report.charts[7].svg.contains("no data"))
    }

    /// A run with a KL term adds the KL-to-reference curve.
    func testKLToTheReferenceChartWhenLogged() throws {
        var withKL = run("grpo", entropy: [1, 0.5])
        for i in withKL.metrics.indices where withKL.metrics[i].phase == "rl" { withKL.metrics[i].values[MetricKey.klReference] = 0.01 * Double(i) }
        let charts = RunReport(runs: [withKL, run("aepo", entropy: [1, 1])]).charts
        XCTAssertEqual(charts.count, RunReport.curves.count + 3)
        XCTAssertEqual(charts.last?.title, "KL to the reference model")
        XCTAssertTrue(charts.last!.svg.contains("<polyline"))
    }

    func testSummaryTableFigures() {
        let table = RunReport(runs: [run("grpo", entropy: [1, 0.5, 0.2])]).summaryTable
        XCTAssertEqual(table.rows.count, 1)
        let row = Dictionary(uniqueKeysWithValues: zip(table.header, table.rows[0]))
        XCTAssertEqual(row["RL steps"], "3")
        XCTAssertEqual(row["reward (last)"], "0.200")
        XCTAssertEqual(row["entropy first → last"], "1.000 → 0.200")
        XCTAssertEqual(row["largest entropy jump"], "0.500")
        XCTAssertEqual(row["q4 high clips (mean)"], "0.400")
        XCTAssertEqual(row["top-3 root share"], "–")
        let markdown = RunReport(runs: [run("grpo", entropy: [1])]).markdown
        XCTAssertTrue(markdown.contains("| run | RL steps |"))
        XCTAssertNil(RunReport(runs: [run("grpo", entropy: [1])]).evaluationTable)
    }
}
