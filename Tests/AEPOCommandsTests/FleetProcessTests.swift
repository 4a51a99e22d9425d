@testable import AEPOCommands
import AEPOCore
import AEPORollout
import AEPOServeTestSupport
@testable import AEPOTraining
import Foundation
import XCTest

/// `aepo train` over two `aepo serve` child processes on loopback, as a fleet runs (`FleetTrainingTests` runs the servers
/// in-process): at temperature 0 a step over them equals the native step; a server killed with SIGKILL in the middle of
/// a step leaves the step's result unchanged; a trainer killed with SIGKILL in the middle of a step, resumed, brings the
/// servers back to its checkpoint's policy before its first rollout and continues as the uninterrupted run did.
final class FleetProcessTests: XCTestCase {
    /// Independent, ARPO and AEPO rollouts (adapters): the same tokens, rewards, branch decisions, loss and trained weights
    /// as the native step, the sampler's log-probs within 1e-4 of the trainer's, both servers answering; after the update
    /// both serve the trainer's new policy.
    func testAStepOverTwoServeProcessesEqualsTheNativeStep() async throws {
        let workspace = try FleetWorkspace("fleet-process-step")
        defer { try? FileManager.default.removeItem(at: workspace.root) }
        let servers = [try await workspace.serveProcess(), try await workspace.serveProcess()]
        for preset in ["grpo", "arpo", "aepo"] {
            let native = try Trainer(config: workspace.config(workspace.keys(run: "\(preset)-native", preset: preset, questions: 1), preset: preset), phase: .rl)
            let nativeStep = try FleetStep(native, metrics: try native.step())
            let warnings = WarningLog()
            let fleet = try FleetWorkspace.fleet(servers, warnings: warnings)
            let trainer = try Trainer(config: workspace.config(workspace.keys(run: "\(preset)-fleet", preset: preset, questions: 1), preset: preset,
                                                               servers: servers),
                                      phase: .rl, servers: fleet)
            let metrics = try await offPool { try trainer.step() }
            try FleetStep(trainer, metrics: metrics).assertEqual(nativeStep, preset)
            XCTAssertGreaterThan(nativeStep.events.count, preset == "grpo" ? -1 : 0, "\(preset): branch decisions")
            XCTAssertLessThan(try XCTUnwrap(metrics["logprob_mismatch_max"]), 1e-4, preset)
            XCTAssertEqual(Set(fleet.fleet.answered.keys), Set(servers.map(\.url)), "\(preset): both servers sampled")
            var syncMetrics: [String: Double] = [:]
            try await offPool { try trainer.syncServers(metrics: &syncMetrics) }
            try FleetStep.assertServersServe(trainer, preset)
            for server in servers {
                let adapters = try await server.adapters()
                XCTAssertEqual(adapters, ["policy-v1"], preset)
            }
            XCTAssertEqual(warnings.all, [], preset)
        }
    }

    /// An AEPO step whose second server is killed with SIGKILL once it has answered 3 rollout requests: the server is
    /// dropped with a warning (so requests were still due to it), its unfinished ones go to the first, and the step is
    /// the native one.
    func testAServeProcessKilledMidStepLeavesTheStepUnchanged() async throws {
        let workspace = try FleetWorkspace("fleet-process-kill")
        defer { try? FileManager.default.removeItem(at: workspace.root) }
        let native = try Trainer(config: workspace.config(workspace.keys(run: "native", preset: "aepo"), preset: "aepo"), phase: .rl)
        let nativeStep = try FleetStep(native, metrics: try native.step())

        let servers = [try await workspace.serveProcess(), try await workspace.serveProcess()]
        let warnings = WarningLog()
        let fleet = try FleetWorkspace.fleet(servers, warnings: warnings)
        let trainer = try Trainer(config: workspace.config(workspace.keys(run: "fleet", preset: "aepo"), preset: "aepo", servers: servers),
                                  phase: .rl, servers: fleet)
        let metrics = try await FleetStep.step(trainer, over: fleet, stopping: servers[1].url) { servers[1].kill() }
        try FleetStep(trainer, metrics: metrics).assertEqual(nativeStep, "killed mid-step")
        XCTAssertEqual(trainer.servers!.members, [servers[0].url])
        XCTAssertTrue(warnings.all.contains { $0.contains("dropping \(servers[1].url)") }, "the kill landed after the step: \(warnings.all)")
    }

    /// An `aepo train --backend openai` process checkpointing every 2 steps, killed with SIGKILL in step 4 once both servers
    /// serve the policy of step 3 — one update past its newest checkpoint (step 2). Resumed: before its first rollout the
    /// servers serve the checkpoint's policy (the sampler's log-probs are the resumed trainer's, and the adapter of step
    /// 3 is unloaded), and step 3 is the one the killed run took: the same trajectories, branch decisions and loss.
    func testAResumedTrainerBringsTheServeProcessesBackToItsCheckpoint() async throws {
        let workspace = try FleetWorkspace("fleet-process-resume")
        defer { try? FileManager.default.removeItem(at: workspace.root) }
        let servers = [try await workspace.serveProcess(), try await workspace.serveProcess()]
        let run = workspace.root.appendingPathComponent("run")
        let killed = try CommandProcess(["train", "--algorithm", "aepo", "--backend", "openai", "--endpoint", servers[0].url,
                                         "--endpoint", servers[1].url] + workspace.keys(run: "run", preset: "aepo", questions: 1)
                                        + ["trainer.steps=4", "trainer.save_freq=2"])
        let deadline = Date().addingTimeInterval(300)
        var ahead = false
        while !ahead && killed.process.isRunning && Date() < deadline {
            try await Task.sleep(nanoseconds: 10_000_000)
            var serving: [[String]] = []
            for server in servers { serving.append(try await server.adapters()) }
            ahead = serving.allSatisfy { $0.contains("policy-v3") }
        }
        killed.stop(SIGKILL)
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("checkpoints").path)
        XCTAssertTrue(ahead, "the servers never served step 3's policy: \(killed.output)")
        XCTAssertEqual(checkpoints.filter { $0.hasPrefix("step-") }, ["step-000002"], "killed in step 4: \(killed.output)")
        let uninterrupted = try StepRecord(run: run, step: 3)
        XCTAssertEqual(uninterrupted.rollouts.count, 4, "the killed run recorded step 3")

        let warnings = WarningLog()
        let resumed = try Trainer(config: try TrainingConfig.resuming(run: run, algorithm: nil, file: nil, overrides: []), phase: .rl,
                                  start: .resume, servers: try FleetWorkspace.fleet(servers, warnings: warnings))
        XCTAssertEqual(resumed.state.step, 2)
        let prompt = resumed.tokenizer.encode(resumed.questions[0].question)
        for reply in try resumed.servers!.probe(model: "policy-v3", prompt: prompt, maxTokens: 8) {
            let own = try resumed.probeLogProbs(prompt: prompt, tokens: reply.tokens)
            XCTAssertGreaterThan(zip(own, reply.logProbs).map { abs($0 - $1) }.max()!, 1e-3, "step 3's policy is not the checkpoint's")
        }
        let metrics = try await offPool { try resumed.step() }
        XCTAssertLessThan(try XCTUnwrap(metrics["logprob_mismatch_max"]), 1e-4, "sampled from the checkpoint's policy")
        for server in servers {
            let adapters = try await server.adapters()
            XCTAssertEqual(adapters, ["policy-v2"], "the adapter of step 3 is unloaded")
        }
        let step = try StepRecord(run: run, step: 3)
        XCTAssertEqual(step.rollouts.map(\.policyVersion), Array(repeating: 2, count: step.rollouts.count))
        XCTAssertEqual(step.rollouts, uninterrupted.rollouts)
        XCTAssertEqual(step.events, uninterrupted.events)
        XCTAssertGreaterThan(step.events.count, 0, "branch decisions")
        XCTAssertEqual(step.loss, uninterrupted.loss, accuracy: 1e-5 * max(1, abs(uninterrupted.loss)))
        XCTAssertEqual(warnings.all, [])
    }

    /// What a run directory records of one step: its trajectories, branch events and loss.
    private struct StepRecord {
        var rollouts: [RolloutRecord]
        var events: [LoggedBranchEvent]
        var loss: Double

        init(run: URL, step: Int) throws {
            struct Metrics: Decodable { var step: Int, loss: Double? }
            rollouts = try JSONLines.read(RolloutRecord.self, from: run.appendingPathComponent(RolloutLog.rolloutsFile)).filter { $0.step == step }
            events = try LoggedBranchEvent.read(from: run.appendingPathComponent(RolloutLog.branchEventsFile)).filter { $0.step == step }
            loss = try XCTUnwrap(try JSONLines.read(Metrics.self, from: run.appendingPathComponent(Trainer.metricsFile))
                .first { $0.step == step }?.loss)
        }
    }
}
