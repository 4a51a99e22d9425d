@testable import AEPOCommands
import AEPOAgentTestSupport
import AEPOCore
import AEPOEvaluation
import AEPOModel
import AEPOTestSupport
import Foundation
import XCTest

/// `aepo eval` on a small tool-prone model and a hand-made benchmark directory.
final class EvalCommandTests: XCTestCase {
    func testEvalWritesSummariesAndIsDeterministic() throws {
        let root = try Fixtures.temporaryDirectory("eval-command")
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        let (modelURL, dataURL) = try ToolProneWorkspace.make(in: root)

        func evaluate(_ out: URL) throws -> EvaluationReport {
            try EvalCommand.parse([
                "--model", modelURL.path, "--data", dataURL.path, "--splits", "train", "--suites", "test", "--questions", "2",
                "--runs", "3", "--k", "1,2", "--seed", "5", "--out", out.path,
                "--set", "rollout.response_length=24", "--set", "rollout.max_tool_calls=2",
            ]).evaluate()
        }
        let first = root.appendingPathComponent("first"), second = root.appendingPathComponent("second")
        let report = try evaluate(first)
        XCTAssertEqual(report.suites.map(\.suite), ["test"])
        XCTAssertEqual(report.suites[0].questions, 2)
        XCTAssertEqual(report.suites[0].runs, 3)
        XCTAssertEqual(report.temperature, 0.6)
        XCTAssertEqual(report.topP, 0.95)
        // The summary agrees with the per-run outcomes it was made from.
        let outcomes = try JSONLines.read(QuestionOutcome.self, from: first.appendingPathComponent("outcomes.jsonl"))
        XCTAssertEqual(outcomes.count, 6)
        XCTAssertEqual(report.suites[0].formatFailureRate, Double(outcomes.filter(\.formatFailure).count) / 6, accuracy: 1e-12)
        XCTAssertEqual(report.suites[0].toolCallsPerQuestion, Double(outcomes.map(\.toolCalls).reduce(0, +)) / 6, accuracy: 1e-12)
        XCTAssertGreaterThanOrEqual(report.suites[0].passAtK["2"]!, report.suites[0].passAt1)
        let markdown = try String(contentsOf: first.appendingPathComponent("eval.md"), encoding: .utf8)
        XCTAssertTrue(markdown.contains("| suite | questions | Pass@1 | Pass@2 |"))
        // Same seed, same bytes.
        _ = try evaluate(second)
        XCTAssertEqual(try Data(contentsOf: first.appendingPathComponent("outcomes.jsonl")),
                       try Data(contentsOf: second.appendingPathComponent("outcomes.jsonl")))

        XCTAssertThrowsError(try EvalCommand.parse(["--model", modelURL.path, "--data", dataURL.path, "--splits", "train",
                                                    "--runs", "2", "--k", "1,5", "--out", first.path]).evaluate()) {
            XCTAssertTrue("\($0)".contains("--k"))
        }
        XCTAssertThrowsError(try EvalCommand.parse(["--model", modelURL.path, "--data", dataURL.path, "--splits", "train",
                                                    "--suites", "nope", "--out", first.path]).evaluate()) {
            XCTAssertTrue("\($0)".contains("nope"))
        }
    }
}
