import AEPOCore
@testable import AEPOAgent
@testable import AEPOTools
import AEPOEvaluation
import AEPOTraining
@testable import AEPORollout
import Foundation
import XCTest

final class AnalysesTests: XCTestCase {
    private func temporaryFile(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("aepo-eval-\(UUID().uuidString).jsonl")
        try text.write(to: url, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testMetricsLogEntropyAndClipping() throws {
        let url = try temporaryFile("""
        {"phase":"sft","step":1,"loss":2.5}
        {"phase":"rl","step":1,"entropy":0.8,"clip_high_entropy_q1":0,"clip_high_entropy_q2":0.1,"clip_high_entropy_q3":0.2,"clip_high_entropy_q4":0.5,"tool_calls":2}

        {"phase":"rl","step":2,"entropy":0.5,"tool_calls":1.5}
        {"phase":"rl","step":3,"entropy":1.1,"clip_high_entropy_q1":0.1,"clip_high_entropy_q2":0.1,"clip_high_entropy_q3":0.2,"clip_high_entropy_q4":0.3}
        """)
        let records = try MetricsRecord.read(from: url)
        XCTAssertEqual(records.count, 4)
        let dynamics = EntropyDynamics(records)
        XCTAssertEqual(dynamics.steps, [1, 2, 3])
        XCTAssertEqual(dynamics.entropy, [0.8, 0.5, 1.1])
        XCTAssertEqual(dynamics.largestStepChange, 0.6, accuracy: 1e-12)
        let clipping = EntropyClipping(records)
        XCTAssertEqual(clipping.steps, [1, 3])
        XCTAssertEqual(clipping.shares[1], [0.1, 0.1, 0.2, 0.3])
        let means = clipping.meanShares
        for (value, expected) in zip(means, [0.05, 0.1, 0.2, 0.4]) { XCTAssertEqual(value, expected, accuracy: 1e-12) }
    }

    func testMetricsLogErrorsNameTheLine() throws {
        let url = try temporaryFile("{\"phase\":\"rl\",\"step\":1}\n{\"phase\":\"rl\",\"step\":2,\"entropy\":\"high\"}\n")
        XCTAssertThrowsError(try MetricsRecord.read(from: url)) { error in
            XCTAssertEqual((error as? InputError)?.line, 2)
            XCTAssertEqual((error as? InputError)?.field, "entropy")
        }
        let noStep = try temporaryFile("{\"phase\":\"rl\"}\n")
        XCTAssertThrowsError(try MetricsRecord.read(from: noStep)) { XCTAssertEqual(($0 as? InputError)?.field, "step") }
    }

    private func event(step: Int? = nil, question: Int = 0, root: Int, round: Int, taken: Bool, counter: Int = 0) -> LoggedBranchEvent {
        LoggedBranchEvent(step: step, event: BranchEvent(question: question, parent: root, child: taken ? 99 : nil, root: root, round: round,
                                                       entropyChange: 0.1, probability: 0.5, consecutiveBranches: counter, taken: taken))
    }

    func testOverBranchingByHand() throws {
        // Question 0: root 0 branches 4 times (rounds 1, 2, 3 and 5), root 1 once (round 2), root 2 once (round 5),
        // root 3 once (round 6), root 4 never. Branches 7, top three 4 + 1 + 1 = 6.
        // Rounds with a branch: 1 2 3 | (4 none) | 5 6 → runs of 3 and 2.
        var events = [
            event(root: 0, round: 1, taken: true), event(root: 0, round: 2, taken: true), event(root: 1, round: 2, taken: true),
            event(root: 0, round: 3, taken: true), event(root: 4, round: 4, taken: false), event(root: 0, round: 5, taken: true),
            event(root: 2, round: 5, taken: true), event(root: 3, round: 6, taken: true),
        ]
        // Question 1 at the same (nil) step: one branch in round 2, round 4 missing, one in round 5 → two runs of 1.
        events += [event(question: 1, root: 0, round: 2, taken: true), event(question: 1, root: 0, round: 5, taken: true)]
        let analysis = OverBranching(events)
        XCTAssertEqual(analysis.branches, 9)
        XCTAssertEqual(analysis.topThreeShare, 8.0 / 9, accuracy: 1e-15)
        // Roots with 0: {q0 r4}; with 1: {q0 r1, r2, r3}; with 2: {q1 r0}; with 4: {q0 r0}.
        XCTAssertEqual(analysis.branchesPerRoot, [1, 3, 1, 0, 1])
        XCTAssertEqual(analysis.runLengths, [0, 2, 1, 1])
        // The same events at two different steps are separate groups.
        let twoSteps = OverBranching([event(step: 1, root: 0, round: 1, taken: true), event(step: 2, root: 0, round: 2, taken: true)])
        XCTAssertEqual(twoSteps.runLengths, [0, 2])
        XCTAssertEqual(OverBranching([]).topThreeShare, 0)
        // Decisions at counter 0, 1, 0, 3: two of four are lowered by the penalty.
        let counters = OverBranching([0, 1, 0, 3].map { event(root: 0, round: 1, taken: false, counter: $0) })
        XCTAssertEqual(counters.penalisedShare, 0.5)
        XCTAssertEqual(analysis.penalisedShare, 0)
        XCTAssertEqual(OverBranching([]).penalisedShare, 0)
    }

    func testBranchEventLogReadsOptionalStep() throws {
        let url = try temporaryFile("""
        {"question":0,"parent":1,"child":4,"root":1,"round":2,"entropy_change":0.3,"probability":0.7,"consecutive_branches":1,"taken":true,"step":7}
        {"question":0,"parent":1,"root":1,"round":3,"entropy_change":-0.1,"probability":0.2,"consecutive_branches":0,"taken":false}
        """)
        let events = try LoggedBranchEvent.read(from: url)
        XCTAssertEqual(events.map(\.step), [7, nil])
        XCTAssertEqual(events[0].event.child, 4)
        XCTAssertEqual(events[1].event.taken, false)
    }

    private func trajectory(id: Int, tokens: [Int], policy: [UInt8], calls: [(String, String)], answer: String?) -> Trajectory {
        Trajectory(questionIndex: 0, questionID: "q", id: id, parent: nil, root: id, promptTokens: [1],
                   responseTokens: tokens, lossMask: policy, logProbs: tokens.map { _ in 0 }, policyLogProbs: tokens.map { _ in 0 },
                   entropies: tokens.map { _ in 0 }, segments: [],
                   toolCalls: calls.map { ToolCallRecord(call: ToolCall(name: $0.0, input: $0.1), result: "", segment: 0) },
                   finish: .answer, text: "", answer: answer,
                   reward: Reward.Breakdown(f1: 0, bonus: 0, value: 0, exactMatch: false, problem: nil))
    }

    func testSamplingDiversityByHand() {
        let group = [
            trajectory(id: 0, tokens: [1, 2, 3], policy: [1, 1, 1], calls: [("search", "x")], answer: "The Paris"),
            // Token 9 is a tool-result token and is left out: policy set {1, 2}.
            trajectory(id: 1, tokens: [1, 2, 9], policy: [1, 1, 0], calls: [("search", "x")], answer: "paris"),
            trajectory(id: 2, tokens: [4], policy: [1], calls: [("search", "x"), ("python", "1+1")], answer: nil),
        ]
        let diversity = SamplingDiversity(group)
        XCTAssertEqual(diversity.trajectories, 3)
        XCTAssertEqual(diversity.distinctToolCallSequences, 2)
        // "The Paris" and "paris" normalise alike; the missing answer is its own kind.
        XCTAssertEqual(diversity.distinctAnswers, 2)
        // d(0,1) = 1 − 2/3, d(0,2) = 1, d(1,2) = 1.
        XCTAssertEqual(diversity.meanPairwiseJaccardDistance, (1.0 / 3 + 1 + 1) / 3, accuracy: 1e-15)
        XCTAssertEqual(SamplingDiversity([group[0]]).meanPairwiseJaccardDistance, 0)
        let mean = SamplingDiversity.mean([diversity, SamplingDiversity([group[0]])])
        XCTAssertEqual(mean.answers, 1.5)
    }
}

extension AnalysesTests {
    /// A trainer's rollout log read back by `RunLog`: groups per (step, question), the same diversity as the
    /// trajectories they summarise; branch events round-trip with their step.
    func testRunLogReadsTheTrainersRolloutLogs() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aepo-runlog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        try "{\"phase\":\"rl\",\"step\":1,\"reward\":0.5}\n".write(to: directory.appendingPathComponent(RunLog.metricsFile), atomically: true, encoding: .utf8)
        let group = [
            trajectory(id: 0, tokens: [5, 6, 7], policy: [1, 0, 1], calls: [("search", "a")], answer: "Paris"),
            trajectory(id: 1, tokens: [5, 8], policy: [1, 1], calls: [("search", "b")], answer: "paris"),
        ]
        let records = [(1, 0), (1, 1), (2, 1)].flatMap { step, question in
            group.map { RolloutRecord(step: step, question: question, trajectory: $0, score: 0.5, trained: true) }
        }
        try JSONLines.write(records, to: directory.appendingPathComponent(RunLog.rolloutsFile))
        let events = [LoggedBranchEvent(step: 2, event: BranchEvent(question: 1, parent: 0, child: 1, root: 0, round: 1, entropyChange: 0.25,
                                                                    probability: 0.5, consecutiveBranches: 0, taken: true))]
        try JSONLines.write(events, to: directory.appendingPathComponent(RunLog.branchEventsFile))

        let run = try RunLog.load(directory)
        XCTAssertEqual(run.rollouts, records)
        XCTAssertEqual(run.groups.map { $0.map(\.step) }, [[1, 1], [1, 1], [2, 2]])
        XCTAssertEqual(run.groups.map { $0[0].question }, [0, 1, 1])
        XCTAssertEqual(run.groups.map(SamplingDiversity.init), Array(repeating: SamplingDiversity(group), count: 3))
        XCTAssertEqual(records[0].policyTokens, [5, 7])
        XCTAssertEqual(run.branchEvents, events)
        // Per step: two distinct tool-call sequences, one answer (Paris = paris), Jaccard 1 − |{5}| / |{5, 7, 8}|.
        let perStep = SamplingDiversity.perStep(run.groups)
        XCTAssertEqual(perStep.map(\.step), [1, 2])
        XCTAssertEqual(perStep.map(\.toolCallSequences), [2, 2])
        XCTAssertEqual(perStep.map(\.answers), [1, 1])
        XCTAssertEqual(perStep[0].jaccard, 2.0 / 3, accuracy: 1e-15)
        let charts = RunReport(runs: [run]).charts
        for title in ["Distinct answers per group", "Distinct tool-call sequences per group", "Mean pairwise Jaccard distance of a group's trajectories"] {
            XCTAssertTrue(try XCTUnwrap(charts.first { $0.title == title }).svg.contains("<polyline"), title)
        }
        XCTAssertNil(charts.first { $0.title == "KL to the reference model" }, "no run logged kl_ref")
        let line = try String(contentsOf: directory.appendingPathComponent(RunLog.branchEventsFile), encoding: .utf8)
        XCTAssertTrue(line.contains("\"step\":2") && line.contains("\"entropy_change\":0.25"), line)
    }
}
