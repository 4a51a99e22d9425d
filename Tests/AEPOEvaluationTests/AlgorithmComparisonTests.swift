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
        XCTAssertEqual(result.analysesTable.rows[0][1], "2.000 → 2.000", "seed means of the first and the last step")
        XCTAssertEqual(result.analysesTable.rows[0][3], "2.000")
        XCTAssertEqual(result.analysesTable.rows[1][7], "–")
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

    private func seeds(_ passAt1: [Double], names: [String]? = nil) -> [RunLog] {
        passAt1.enumerated().map { i, p in
            var log = run(p, p, entropy: 1)
            log.name = names?[i] ?? "seed-\(i + 1)"
            return log
        }
    }

    /// Paired differences by hand: d = reference(s) − X(s) per seed, mean ± t₀.₉₇₅(n−1)·s_d/√n.
    func testPairedDifferencesByHand() {
        let result = AlgorithmComparison(entries: [
            .init(algorithm: "grpo", runs: seeds([0.20, 0.22, 0.31])),
            .init(algorithm: "arpo", runs: seeds([0.20, 0.14, 0.31])),
            .init(algorithm: "aepo", runs: seeds([0.30, 0.25, 0.40])),
            .init(algorithm: "gspo", runs: seeds([0.10, 0.35], names: ["seed-3", "seed-1"])),
        ], ks: [1])
        let entries = Dictionary(uniqueKeysWithValues: result.entries.map { ($0.algorithm, $0) })
        // grpo: d = (0.10, 0.03, 0.09), mean 0.07333…, s_d = 0.037859, half-width 4.303·s_d/√3 = 0.094055: a tie.
        let grpo = result.pairedDifference(entries["aepo"]!, entries["grpo"]!, suite: "bridge", k: 1)
        XCTAssertEqual(grpo.seeds, 3)
        XCTAssertEqual(grpo.mean, 0.22 / 3, accuracy: 1e-12)
        XCTAssertEqual(grpo.halfWidth, 4.303 * (0.0028666666666666667 / 2).squareRoot() / 3.0.squareRoot(), accuracy: 1e-12)
        XCTAssertFalse(grpo.excludesZero)
        // arpo: d = (0.10, 0.11, 0.09), mean 0.10, s_d = 0.01, half-width 0.024843: significant.
        let arpo = result.pairedDifference(entries["aepo"]!, entries["arpo"]!, suite: "bridge", k: 1)
        XCTAssertEqual(arpo.mean, 0.10, accuracy: 1e-12)
        XCTAssertEqual(arpo.halfWidth, 4.303 * 0.01 / 3.0.squareRoot(), accuracy: 1e-12)
        XCTAssertTrue(arpo.excludesZero)
        // Detectable with 80 % power: (t₀.₉₇₅(2) + t₀.₈₀(2)) · s_d / √n = (4.303 + 1.061) · 0.01 / √3.
        XCTAssertEqual(arpo.minimumDetectable!, (4.303 + 1.061) * 0.01 / 3.0.squareRoot(), accuracy: 1e-12)
        // gspo finished seeds 3 and 1 only: pairs by name, d = (0.30 − 0.35, 0.40 − 0.10), t₀.₉₇₅(1) = 12.706.
        let gspo = result.pairedDifference(entries["aepo"]!, entries["gspo"]!, suite: "bridge", k: 1)
        XCTAssertEqual(gspo.seeds, 2)
        XCTAssertEqual(gspo.mean, 0.125, accuracy: 1e-12)
        XCTAssertEqual(gspo.halfWidth, 12.706 * (2 * 0.175 * 0.175).squareRoot() / 2.0.squareRoot(), accuracy: 1e-12)

        let table = result.pairedTable(reference: "aepo") { "[\($0)]" }!
        XCTAssertEqual(table.header, ["aepo − X", "pairs", "bridge Pass@1"])
        XCTAssertEqual(table.rows, [["grpo", "3", "+7.3 ± 9.4"], ["arpo", "3", "[+10.0 ± 2.5]"], ["gspo", "2", "+12.5 ± 222.4"]])
        XCTAssertEqual(result.detectableTable(reference: "aepo")!.rows[1], ["arpo", "3", "3.1"])
        XCTAssertNil(result.pairedTable(reference: "dapo") { $0 }, "no table without the reference algorithm")
        XCTAssertTrue(result.markdown(settings: "s").contains("**+10.0 ± 2.5**"))
    }

    func testSignedPointsAndNegativeDifferences() {
        let lower = SeedStatistics([-0.10, -0.12, -0.11])
        XCTAssertTrue(lower.excludesZero)
        XCTAssertEqual(lower.signedPoints, "−11.0 ± 2.5")
        XCTAssertEqual(SeedStatistics([0.05]).signedPoints, "+5.0")
        XCTAssertFalse(SeedStatistics([0.05]).excludesZero, "one pair has no spread to test against")
        XCTAssertNil(SeedStatistics([0.05]).minimumDetectable)
        // Two seeds with the same difference (on Pass@1's 0.5-point grid): an interval of width 0 is a tie, not proof.
        let same = SeedStatistics([0.585 - 0.60, 0.585 - 0.60])
        XCTAssertEqual(same.halfWidth, 0)
        XCTAssertFalse(same.excludesZero)
        XCTAssertNil(same.minimumDetectable)
        XCTAssertFalse(SeedStatistics([0.575 - 0.59, 0.585 - 0.60, 0.565 - 0.58]).excludesZero, "rounding is no spread")
    }
}
