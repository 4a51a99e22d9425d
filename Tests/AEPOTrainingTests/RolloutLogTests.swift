@testable import AEPOAgent
import AEPOCore
@testable import AEPORollout
import AEPOTestSupport
@testable import AEPOTools
import AEPOTraining
import XCTest

/// The trainer's rollout logs: a round's questions numbered from the step's count so far, and a reopened log
/// keeping only the steps up to the resumed one.
final class RolloutLogTests: XCTestCase {
    func trajectory(question: Int, id: Int, root: Int) -> Trajectory {
        Trajectory(questionIndex: question, questionID: "q\(question)", id: id, parent: id == root ? nil : root, root: root,
                   promptTokens: [1, 2], responseTokens: [5, 6, 7, 8], lossMask: [1, 0, 0, 1], logProbs: [0, 0, 0, 0],
                   policyLogProbs: [0, 0, 0, 0], entropies: [0, 0, 0, 0], segments: [],
                   toolCalls: [ToolCallRecord(call: ToolCall(name: "search", input: "x"), result: "r", segment: 0)],
                   finish: .answer, text: "<search>x</search>…", answer: "y",
                   reward: Reward.Breakdown(f1: 1, bonus: 0, value: 1, exactMatch: true, problem: nil))
    }

    func event(question: Int, taken: Bool) -> BranchEvent {
        BranchEvent(question: question, parent: 0, child: taken ? 1 : nil, root: 0, round: 1, entropyChange: 0.5, probability: 0.4,
                    consecutiveBranches: 0, taken: taken)
    }

    func testRoundsContinueTheQuestionCountAndResumeDropsLaterSteps() throws {
        let run = try Fixtures.temporaryDirectory("rollout-log")
        defer { try? FileManager.default.removeItem(at: run) }
        let batch = RolloutBatch(groups: [[trajectory(question: 0, id: 0, root: 0), trajectory(question: 0, id: 1, root: 0)],
                                          [trajectory(question: 1, id: 0, root: 0)]],
                                 events: [event(question: 0, taken: true), event(question: 1, taken: false)], report: RolloutReport())
        let log = try RolloutLog(run: run, resumedStep: 0)
        try log.record(step: 1, batch: batch, firstQuestion: 0, scores: [[1, 0.5], [0]], trained: [true, true], policyVersion: 0)
        try log.record(step: 2, batch: batch, firstQuestion: 0, scores: [[1, 1], [1]], trained: [false, true], policyVersion: 1)
        try log.record(step: 2, batch: batch, firstQuestion: 2, scores: [[1, 1], [1]], trained: [true, true], policyVersion: 1)

        let rolloutsURL = run.appendingPathComponent(RolloutLog.rolloutsFile), eventsURL = run.appendingPathComponent(RolloutLog.branchEventsFile)
        var records = try JSONLines.read(RolloutRecord.self, from: rolloutsURL)
        XCTAssertEqual(records.map(\.step), [1, 1, 1, 2, 2, 2, 2, 2, 2])
        XCTAssertEqual(records.map(\.question), [0, 0, 1, 0, 0, 1, 2, 2, 3])
        XCTAssertEqual(records.map(\.questionID), ["q0", "q0", "q1", "q0", "q0", "q1", "q0", "q0", "q1"])
        XCTAssertEqual(records.map(\.score), [1, 0.5, 0, 1, 1, 1, 1, 1, 1])
        XCTAssertEqual(records.map(\.trained), [true, true, true, false, false, true, true, true, true])
        XCTAssertEqual(records.map(\.policyVersion), [0, 0, 0, 1, 1, 1, 1, 1, 1])
        XCTAssertEqual(records[1].parent, 0)
        XCTAssertEqual(records[0].policyTokens, [5, 8])
        XCTAssertEqual(records[0].toolCalls, [ToolCall(name: "search", input: "x")])
        var events = try LoggedBranchEvent.read(from: eventsURL)
        XCTAssertEqual(events.map(\.step), [1, 1, 2, 2, 2, 2])
        XCTAssertEqual(events.map(\.event.question), [0, 1, 0, 1, 2, 3])

        // Resumed from the checkpoint of step 1: step 2 is redone, so its lines go.
        _ = try RolloutLog(run: run, resumedStep: 1)
        records = try JSONLines.read(RolloutRecord.self, from: rolloutsURL)
        events = try LoggedBranchEvent.read(from: eventsURL)
        XCTAssertEqual(records.map(\.step), [1, 1, 1])
        XCTAssertEqual(events.map(\.step), [1, 1])
        // A new run (step 0) starts both files empty.
        _ = try RolloutLog(run: run, resumedStep: 0)
        XCTAssertEqual(try Data(contentsOf: rolloutsURL), Data())
        XCTAssertEqual(try Data(contentsOf: eventsURL), Data())
    }
}
