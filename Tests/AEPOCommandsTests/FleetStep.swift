import AEPOCore
import AEPORemote
import AEPORollout
import AEPOServeTestSupport
@testable import AEPOTraining
import Foundation
import XCTest

/// What a fleet test's step did: its metrics, trajectories, branch decisions and the trained weights, compared with the
/// native step's; and how the tests take a step with a server stopped in its middle, and check what the servers serve.
struct FleetStep {
    var metrics: [String: Double]
    var rollouts: [RolloutRecord]
    var events: [Bool]
    var weights: [Float]

    init(_ trainer: Trainer, metrics: [String: Double]) throws {
        self.metrics = metrics
        rollouts = try JSONLines.read(RolloutRecord.self, from: trainer.run.appendingPathComponent(RolloutLog.rolloutsFile))
        events = try LoggedBranchEvent.read(from: trainer.run.appendingPathComponent(RolloutLog.branchEventsFile)).map(\.event.taken)
        weights = Array(trainer.model.adapter?.parameters ?? trainer.model.parameters)
    }

    /// The same tokens, rewards, branch decisions and loss, and weights within 1e-5.
    func assertEqual(_ other: FleetStep, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(rollouts.map(\.policyTokens), other.rollouts.map(\.policyTokens), label, file: file, line: line)
        XCTAssertEqual(rollouts.map(\.reward), other.rollouts.map(\.reward), label, file: file, line: line)
        XCTAssertEqual(events, other.events, "\(label): branch decisions", file: file, line: line)
        XCTAssertEqual(metrics["loss"]!, other.metrics["loss"]!, accuracy: 1e-5 * max(1, abs(other.metrics["loss"]!)), label, file: file, line: line)
        XCTAssertEqual(weights.count, other.weights.count, file: file, line: line)
        let largest = zip(weights, other.weights).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(largest, 1e-5, "\(label): trained weights", file: file, line: line)
    }

    /// Takes `trainer`'s step over `fleet`, calling `stop` once the server at `url` has answered 3 rollout requests
    /// (while no server has been dropped): the step's metrics.
    static func step(_ trainer: Trainer, over fleet: ServerFleet, stopping url: String, with stop: () async -> Void,
                     file: StaticString = #filePath, line: UInt = #line) async throws -> [String: Double] {
        let stepping = Task { try await offPool { try trainer.step() } }
        let deadline = Date().addingTimeInterval(120)
        while (fleet.fleet.answered[url] ?? 0) < 3 && fleet.fleet.dropped.isEmpty && Date() < deadline {
            try await Task.sleep(nanoseconds: 1_000_000)
        }
        XCTAssertEqual(fleet.fleet.dropped, [:], "no server failed before the stop", file: file, line: line)
        await stop()
        return try await stepping.value
    }

    /// Every server's probe of the trainer's current policy equals the trainer's forward within 1e-4.
    static func assertServersServe(_ trainer: Trainer, _ label: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let prompt = trainer.tokenizer.encode(trainer.questions[0].question)
        let replies = try trainer.servers!.probe(model: trainer.publishedPolicy!.name, prompt: prompt, maxTokens: 8)
        XCTAssertEqual(replies.count, trainer.servers!.members.count, file: file, line: line)
        for reply in replies {
            let own = try trainer.probeLogProbs(prompt: prompt, tokens: reply.tokens)
            for (a, b) in zip(own, reply.logProbs) { XCTAssertEqual(a, b, accuracy: 1e-4, "\(label): \(reply.server)", file: file, line: line) }
        }
    }
}
