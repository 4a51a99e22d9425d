@testable import AEPOEvaluation
import XCTest

final class AlgorithmComparisonTests: XCTestCase {
    func testSeedStatisticsByHand() {
        let three = SeedStatistics([0.2, 0.4, 0.6])
        XCTAssertEqual(three.mean, 0.4, accuracy: 1e-15)
        // s = 0.2, t₀.₉₇₅(2) = 4.303.
        XCTAssertEqual(three.halfWidth, 4.303 * 0.2 / 3.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(three.percent, "40.0 ± 49.7")
        XCTAssertEqual(SeedStatistics([0.5, 0.5]).halfWidth, 0)
        XCTAssertEqual(SeedStatistics([0.25]).percent, "25.0")
        // Many seeds fall back to the normal quantile.
        let many = SeedStatistics((0..<40).map { Double($0 % 2) })
        XCTAssertEqual(many.halfWidth, 1.96 * (10.0 / 39).squareRoot() / 40.0.squareRoot(), accuracy: 1e-12)
    }

    private func run(_ passAt1: Double, _ passAt2: Double, entropy: Double) -> RunLog {
        let suite = SuiteSummary(suite: "bridge", questions: 2, runs: 2, passAt1: passAt1, passAtK: ["2": passAt2], exactMatch: passAt1,
                                 f1: passAt1, toolCallsPerQuestion: 1, formatFailureRate: 0)
        return RunLog(name: "seed", metrics: [MetricsRecord(phase: "rl", step: 1, values: [MetricKey.entropy: entropy, MetricKey.toolCalls: 2])],
                      evaluation: EvaluationReport(model: "m", seed: 1, runs: 2, ks: [1, 2], temperature: 0.6, topP: 0.95, suites: [suite]))
    }

    func testTableMarksTheBestMeanPerColumn() {
        let result = AlgorithmComparison(entries: [
            .init(algorithm: "grpo", runs: [run(0.5, 0.5, entropy: 1), run(0.5, 1, entropy: 3)]),
            .init(algorithm: "aepo", runs: [run(0.25, 1, entropy: 2), run(0.25, 1, entropy: 2)]),
        ], ks: [1, 2])
        // grpo Pass@2: mean 0.75, s = √0.125, half-width 12.706 · s / √2 = 3.1765 (printed 317.6).
        let table = result.table { "[\($0)]" }
        XCTAssertEqual(table.header, ["algorithm", "seeds", "bridge Pass@1", "bridge Pass@2"])
        XCTAssertEqual(table.rows[0], ["grpo", "2", "[50.0 ± 0.0]", "75.0 ± 317.6"])
        XCTAssertEqual(table.rows[1], ["aepo", "2", "25.0 ± 0.0", "[100.0 ± 0.0]"])
        XCTAssertEqual(result.analysesTable.rows[0][1], "2.000")
        XCTAssertEqual(result.analysesTable.rows[0][3], "2.000")
        XCTAssertEqual(result.analysesTable.rows[1][6], "–")
        XCTAssertTrue(result.markdown(settings: "s").contains("**50.0 ± 0.0**"))
    }

    /// A column where every algorithm ties (here all at 0) marks none; a tie at the top of a column that
    /// differs below marks every tied cell; a single algorithm is never marked.
    func testTiedColumnsMarkOnlyGenuineTiesAtTheTop() {
        let result = AlgorithmComparison(entries: [
            .init(algorithm: "grpo", runs: [run(0, 0.5, entropy: 1)]),
            .init(algorithm: "arpo", runs: [run(0, 0.5, entropy: 1)]),
            .init(algorithm: "aepo", runs: [run(0, 0.25, entropy: 1)]),
        ], ks: [1, 2])
        let table = result.table { "[\($0)]" }
        XCTAssertEqual(table.rows.map { $0[2] }, ["0.0", "0.0", "0.0"])
        XCTAssertEqual(table.rows.map { $0[3] }, ["[50.0]", "[50.0]", "25.0"])
        let alone = AlgorithmComparison(entries: [.init(algorithm: "aepo", runs: [run(0.5, 1, entropy: 1)])], ks: [1, 2])
        XCTAssertEqual(alone.table { "[\($0)]" }.rows[0], ["aepo", "1", "50.0", "100.0"])
        // An algorithm without finished seeds neither ties nor counts as the lowest.
        let unfinished = AlgorithmComparison(entries: [
            .init(algorithm: "grpo", runs: [run(0.5, 0.5, entropy: 1)]),
            .init(algorithm: "aepo", runs: []),
        ], ks: [1, 2])
        XCTAssertEqual(unfinished.table { "[\($0)]" }.rows[0], ["grpo", "1", "50.0", "50.0"])
    }

    /// The starting checkpoint's row comes first, unmarked even when it is the best, and does not take part in
    /// marking the algorithms' best means.
    func testStartRowComesFirstAndIsNeverMarked() {
        let result = AlgorithmComparison(entries: [
            .init(algorithm: "grpo", runs: [run(0.5, 0.5, entropy: 1)]),
            .init(algorithm: "aepo", runs: [run(0.25, 0.75, entropy: 1)]),
        ], ks: [1, 2], start: run(0.75, 0.25, entropy: 1))
        let table = result.table { "[\($0)]" }
        XCTAssertEqual(table.rows.map { $0[0] }, [AlgorithmComparison.startLabel, "grpo", "aepo"])
        XCTAssertEqual(table.rows[0], [AlgorithmComparison.startLabel, "–", "75.0", "25.0"])
        XCTAssertEqual(table.rows[1], ["grpo", "1", "[50.0]", "50.0"])
        XCTAssertEqual(table.rows[2], ["aepo", "1", "25.0", "[75.0]"])
        XCTAssertEqual(result.analysesTable.rows.count, 2, "the start has no training to analyse")
    }
}
