@testable import AEPOCommands
import AEPOCore
import AEPOEvaluation
import AEPOTestSupport
import Foundation
import XCTest

/// A test-sized `aepo compare` over grpo, arpo and aepo with 2 seeds, then a resumed one.
final class CompareCommandTests: XCTestCase {
    func testTinyCompareWritesTableAndReportAndResumes() throws {
        let root = try Fixtures.temporaryDirectory("compare-command")
        defer { try? FileManager.default.removeItem(at: root) }
        let bench = root.appendingPathComponent("bench").path
        _ = try DataGenerate.parse(["--out", bench, "--seed", "2", "--size", "small", "--train", "6", "--test", "2", "--test-ood", "1",
                                    "--suites", "bridge", "--vocabulary-size", "300"]).output()
        let out = root.appendingPathComponent("compare")
        let tiny = ["model.hidden_size=16", "model.intermediate_size=32", "model.num_layers=1", "model.num_heads=2", "model.num_kv_heads=1",
                    "model.head_dim=8", "model.max_positions=256", "trainer.log_freq=100", "sft.steps=2", "sft.batch_size=2",
                    "data.train_batch_size=2", "actor.ppo_mini_batch_size=2", "rollout.n=3", "rollout.initial_rollouts=1",
                    "rollout.response_length=16", "rollout.max_tool_calls=1"]
        let arguments = ["--algorithms", "grpo,arpo,aepo", "--seeds", "2", "--steps", "2", "--data", bench, "--out", out.path,
                         "--runs", "2", "--k", "1,2", "--questions", "1"] + tiny.flatMap { ["--set", $0] }
        let result = try CompareCommand.parse(arguments).compare { _ in }

        XCTAssertEqual(result.entries.map(\.algorithm), ["grpo", "arpo", "aepo"])
        XCTAssertEqual(result.entries.map(\.runs.count), [2, 2, 2])
        XCTAssertEqual(result.suites, ["bridge", "bridge (ood)"])
        let table = result.table { "*\($0)" }
        XCTAssertEqual(table.header, ["algorithm", "seeds", "bridge Pass@1", "bridge Pass@2", "bridge (ood) Pass@1", "bridge (ood) Pass@2"])
        XCTAssertEqual(table.rows.map { $0[0] }, [AlgorithmComparison.startLabel, "grpo", "arpo", "aepo"])
        XCTAssertNotNil(result.start?.evaluation, "the SFT start is evaluated like every run")
        // Each column marks its best means, unless all its cells tie (a tiny model often scores 0 everywhere).
        for column in 2..<table.header.count {
            let tied = Set(result.entries.map { result.statistics($0, suite: result.suites[(column - 2) / 2], k: [1, 2][(column - 2) % 2]).mean }).count == 1
            XCTAssertEqual(table.rows.contains { $0[column].hasPrefix("*") }, !tied, table.header[column])
        }
        let markdown = try String(contentsOf: out.appendingPathComponent("comparison.md"), encoding: .utf8)
        XCTAssertTrue(markdown.contains("| algorithm | seeds | bridge Pass@1 |"))
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("<svg") && html.contains("aepo compare") && !html.contains("<script"))
        for algorithm in ["grpo", "arpo", "aepo"] { XCTAssertTrue(html.contains(">\(algorithm)</text>"), algorithm) }
        // The diagnostic rollout feeds the diversity and branching-run columns.
        let analyses = result.analysesTable
        for column in ["distinct answers", "distinct tool sequences", "Jaccard distance"] {
            let index = try XCTUnwrap(analyses.header.firstIndex(of: column))
            XCTAssertTrue(analyses.rows.allSatisfy { $0[index] != "–" }, column)
        }
        let grpoBranching = analyses.rows[0][analyses.header.firstIndex(of: "longest branching run")!]
        XCTAssertEqual(grpoBranching, "–", "independent sampling makes no branch decisions")
        let events = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("runs/aepo/seed-1").path)
        XCTAssertTrue(events.contains { $0.hasPrefix("events.out.tfevents.") })

        // Resume: a finished run is skipped (its metrics untouched); an unfinished one continues from its checkpoint.
        let finished = out.appendingPathComponent("runs/grpo/seed-1/metrics.jsonl")
        let before = try FileManager.default.attributesOfItem(atPath: finished.path)[.modificationDate] as? Date
        let unfinished = out.appendingPathComponent("runs/aepo/seed-2")
        try FileManager.default.removeItem(at: unfinished.appendingPathComponent("final"))
        try FileManager.default.removeItem(at: unfinished.appendingPathComponent("eval"))
        try FileManager.default.removeItem(at: unfinished.appendingPathComponent("checkpoints/step-000002"))
        let resumed = try CompareCommand.parse(arguments).compare { _ in }
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: finished.path)[.modificationDate] as? Date, before)
        let lines = try String(contentsOf: unfinished.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines[1].contains("\"step\":2"))
        XCTAssertEqual(resumed.entries.map(\.runs.count), [2, 2, 2])
    }
}
