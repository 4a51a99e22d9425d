@testable import AEPOCommands
import AEPOAgent
import AEPOAgentTestSupport
import AEPOCore
import AEPOModel
import AEPORollout
import AEPOTestSupport
import Foundation
import XCTest

/// `aepo rollout` on a small tool-prone model and a hand-made benchmark directory.
final class RolloutCommandTests: XCTestCase {
    func testRolloutWritesTrajectoriesEventsAndReport() throws {
        let root = try Fixtures.temporaryDirectory("rollout-command")
        defer { try? FileManager.default.removeItem(at: root) }
        let (modelURL, dataURL) = try ToolProneWorkspace.make(in: root)
        let out = root.appendingPathComponent("trajectories.jsonl"), events = root.appendingPathComponent("events.jsonl")

        let report = try RolloutCommand.parse([
            "--model", modelURL.path, "--data", dataURL.path, "--algorithm", "arpo", "--questions", "2", "--out", out.path,
            "--events", events.path, "--seed", "3", "--set", "rollout.n=4", "--set", "rollout.initial_rollouts=2",
            "--set", "rollout.response_length=32", "--set", "rollout.max_tool_calls=2",
        ]).output()
        let decoded = try JSONDecoder().decode(RolloutReport.self, from: Data(report.utf8))
        XCTAssertEqual(decoded.trajectories, 8)
        XCTAssertEqual(decoded.branchPrefillRecomputed, 0)
        let trajectories = try JSONLines.read(Trajectory.self, from: out)
        XCTAssertEqual(trajectories.count, 8)
        XCTAssertEqual(Set(trajectories.map(\.questionID)), ["q0", "q1"])
        XCTAssertTrue(trajectories.allSatisfy { $0.policyTokenCount <= 32 && $0.toolCalls.count <= 2 })
        let log = try JSONLines.read(BranchEvent.self, from: events)
        XCTAssertEqual(log.filter(\.taken).count, decoded.branches)
        XCTAssertTrue(report.contains("\"branch_prefill_recomputed\":0"), report)

        XCTAssertThrowsError(try RolloutCommand.parse(["--model", modelURL.path, "--data", dataURL.path, "--algorithm", "ppo",
                                                       "--out", out.path]).output()) { error in
            XCTAssertTrue("\(error)".contains("unknown algorithm 'ppo'"), "\(error)")
        }
        XCTAssertThrowsError(try RolloutCommand.parse(["--model", modelURL.path, "--data", dataURL.path, "--split", "test",
                                                       "--out", out.path]).output()) { error in
            XCTAssertTrue("\(error)".contains("no questions in split 'test'"), "\(error)")
        }
    }
}
