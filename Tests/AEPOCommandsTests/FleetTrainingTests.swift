@testable import AEPOCommands
import AEPOAgentTestSupport
import AEPOCore
import AEPORemote
import AEPOServeTestSupport
@testable import AEPOTraining
import Foundation
import XCTest

/// `aepo train` sampling from two `aepo serve` servers started in-process, over loopback (`FleetProcessTests` starts
/// them as processes): at temperature 0 a step equals the native step; after an update every server serves the
/// trainer's policy; a server that misses the sync, dies mid-step or is misconfigured is dropped or named in a clear
/// error, and nothing of the run is lost.
final class FleetTrainingTests: XCTestCase {
    /// Independent, ARPO and AEPO rollouts (adapters) and full fine-tuning: a step over two servers equals the native step
    /// (same tokens, rewards, branch decisions, loss; the sampler's log-probs within 1e-4 of the trainer's), and after the
    /// update both servers serve the trainer's new policy.
    func testAStepOverTwoServersEqualsTheNativeStep() async throws {
        let workspace = try FleetWorkspace("fleet-step")
        defer { try? FileManager.default.removeItem(at: workspace.root) }
        for (preset, lora) in [("grpo", true), ("arpo", true), ("aepo", true), ("grpo", false)] {
            let servers = [try await workspace.server(), try await workspace.server()]
            let label = "\(preset)\(lora ? "" : " full")"
            let native = try Trainer(config: workspace.config(workspace.keys(run: "\(label)-native", preset: preset, lora: lora), preset: preset),
                                     phase: .rl)
            let nativeStep = try FleetStep(native, metrics: try native.step())
            let warnings = WarningLog()
            let fleet = try FleetWorkspace.fleet(servers, warnings: warnings)
            let config = try workspace.config(workspace.keys(run: "\(label)-fleet", preset: preset, lora: lora), preset: preset, servers: servers)
            let trainer = try Trainer(config: config, phase: .rl, servers: fleet)
            XCTAssertEqual(trainer.rolloutCorrection.weighting, .token, "on by default with servers")
            let initial = Array(trainer.model.adapter?.parameters ?? trainer.model.parameters)
            let metrics = try await offPool { try trainer.step() }
            try FleetStep(trainer, metrics: metrics).assertEqual(nativeStep, label)
            XCTAssertLessThan(try XCTUnwrap(metrics["logprob_mismatch_max"]), 1e-4, label)
            XCTAssertEqual(metrics["servers"], 2, label)
            XCTAssertEqual(Set(try JSONLines.read(RolloutRecord.self, from: trainer.run.appendingPathComponent(RolloutLog.rolloutsFile))
                .map(\.policyVersion)), [0])
            XCTAssertGreaterThan(nativeStep.events.count, preset == "grpo" ? -1 : 0, label)

            // The next sync serves the updated policy on both servers, and the weights did change.
            XCTAssertGreaterThan(zip(initial, Array(trainer.model.adapter?.parameters ?? trainer.model.parameters)).map { abs($0 - $1) }.max()!,
                                 1e-3, label)
            var syncMetrics: [String: Double] = [:]
            try await offPool { try trainer.syncServers(metrics: &syncMetrics) }
            XCTAssertEqual(trainer.publishedPolicy?.version, 1)
            try FleetStep.assertServersServe(trainer, label)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: trainer.run.appendingPathComponent(Trainer.policyDirectory).path),
                           ["v1"], "older policies are removed")
            XCTAssertEqual(warnings.all, [], label)
            let models = try await servers[0].send("/v1/models", method: "GET").body
            XCTAssertEqual(models.contains("policy-v0"), false, "\(label): the previous adapter is unloaded: \(models)")
            XCTAssertEqual(models.contains("policy-v1"), lora, label)
            for server in servers { await server.stop() }
        }
    }

    /// A server that missed the sync (its adapter unloaded between the sync and the rollout) answers that it does not serve
    /// the policy: the version check drops it with a warning, its requests go to the other, and the step is the native one.
    /// A server stopped in the middle of a step is dropped too, and the step is again the native one.
    func testAServerThatMissesTheSyncOrStopsMidStepIsDroppedAndTheStepCompletes() async throws {
        let workspace = try FleetWorkspace("fleet-faults")
        defer { try? FileManager.default.removeItem(at: workspace.root) }
        let native = try Trainer(config: workspace.config(workspace.keys(run: "native", preset: "aepo"), preset: "aepo"), phase: .rl)
        let nativeStep = try FleetStep(native, metrics: try native.step())

        var servers = [try await workspace.server(), try await workspace.server()]
        var warnings = WarningLog()
        var trainer = try Trainer(config: workspace.config(workspace.keys(run: "missed", preset: "aepo"), preset: "aepo", servers: servers),
                                  phase: .rl, servers: try FleetWorkspace.fleet(servers, warnings: warnings))
        var unused: [String: Double] = [:]
        try await offPool { try trainer.syncServers(metrics: &unused) }
        let unloaded = try await servers[1].send("/v1/unload_lora_adapter", body: #"{"lora_name": "policy-v0"}"#)
        XCTAssertEqual(unloaded.status, 200)
        let missed = try await offPool { try trainer.step() }
        try FleetStep(trainer, metrics: missed).assertEqual(nativeStep, "missed sync")
        XCTAssertEqual(trainer.servers!.members, [servers[0].url])
        XCTAssertEqual(warnings.all.count, 1, "\(warnings.all)")
        XCTAssertTrue(warnings.all.first?.contains("dropping \(servers[1].url)") == true && warnings.all.first?.contains("policy-v0") == true,
                      "\(warnings.all)")
        for server in servers { await server.stop() }

        servers = [try await workspace.server(), try await workspace.server()]
        warnings = WarningLog()
        let fleet = try FleetWorkspace.fleet(servers, warnings: warnings)
        trainer = try Trainer(config: workspace.config(workspace.keys(run: "stopped", preset: "aepo"), preset: "aepo", servers: servers),
                              phase: .rl, servers: fleet)
        let stopped = try await FleetStep.step(trainer, over: fleet, stopping: servers[1].url) { await servers[1].stop() }
        try FleetStep(trainer, metrics: stopped).assertEqual(nativeStep, "stopped mid-step")
        XCTAssertEqual(trainer.servers!.members, [servers[0].url])
        XCTAssertTrue(warnings.all.contains { $0.contains("dropping \(servers[1].url)") }, "\(warnings.all)")
        await servers[0].stop()
    }

    /// An unreachable endpoint is refused before the run directory is written; a server without the LoRA endpoints, one
    /// serving another base model and one that may not read the run directory are each named in a clear error at the
    /// first sync. A resumed run keeps its checkpoint through such an error, and resuming with good servers brings them to
    /// the checkpoint's policy before the first rollout.
    func testMisconfiguredServersAreClearErrorsAndTheRunIsKept() async throws {
        let workspace = try FleetWorkspace("fleet-errors")
        defer { try? FileManager.default.removeItem(at: workspace.root) }
        let run = workspace.root.appendingPathComponent("run")
        let keys = workspace.keys(run: "run", preset: "grpo")
        let dead = try OpenAIEndpoint(settings: .init(url: "http://127.0.0.1:9", retries: 0))
        XCTAssertThrowsError(try Trainer(config: workspace.config(keys + ["rollout.backend=openai", "rollout.endpoints=http://127.0.0.1:9"],
                                                                  preset: "grpo"),
                                         phase: .rl, servers: ServerFleet(fleet: EndpointFleet(endpoints: [dead], warn: { _ in })))) { error in
            XCTAssertTrue("\(error)".contains("no server is left in the fleet: http://127.0.0.1:9: "), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.path), "nothing written for an unreachable fleet")

        // A run with a checkpoint after one step.
        let good = try await workspace.server()
        let first = try Trainer(config: workspace.config(keys + ["trainer.save_freq=1"], preset: "grpo", servers: [good]), phase: .rl,
                                servers: try FleetWorkspace.fleet([good], warnings: WarningLog()))
        try await offPool { try first.train() }
        let checkpoint = run.appendingPathComponent("checkpoints/step-000001")
        func snapshot() throws -> [String: Data] {
            var files: [String: Data] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: checkpoint.path) {
                files[name] = try? Data(contentsOf: checkpoint.appendingPathComponent(name))
            }
            files["metrics.jsonl"] = try Data(contentsOf: run.appendingPathComponent("metrics.jsonl"))
            return files
        }
        let kept = try snapshot()

        let other = workspace.root.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        let cases: [(TestServer, String)] = [
            (try await workspace.server(loading: false), "has no /v1/load_lora_adapter: start aepo serve with --enable-lora"),
            (try await workspace.server(model: try ToolProneModel.make(seed: 99)), "does not serve the trainer's policy 'policy-v1'"),
            (try await workspace.server(directory: other), "outside the directory this server loads from"),
        ]
        for (server, message) in cases {
            let config = try TrainingConfig.resuming(run: run, algorithm: nil, file: nil, overrides: [
                "trainer.steps=2", "rollout.endpoints=\(server.url)", "rollout.retries=0"])
            XCTAssertThrowsError(try Trainer(config: config, phase: .rl, start: .resume, servers: try FleetWorkspace.fleet([server], warnings: WarningLog()))
                .train()) { error in
                XCTAssertTrue("\(error)".contains(message), "\(error)")
                XCTAssertTrue("\(error)".contains(server.url), "the error names the server: \(error)")
            }
            XCTAssertEqual(try snapshot(), kept, message)
            await server.stop()
        }

        // Resumed with good servers: they serve the checkpoint's policy before the first rollout, and step 2 runs.
        let resumed = try Trainer(config: try TrainingConfig.resuming(run: run, algorithm: nil, file: nil, overrides: [
            "trainer.steps=2", "rollout.endpoints=\(good.url)"]), phase: .rl, start: .resume, servers: try FleetWorkspace.fleet([good], warnings: WarningLog()))
        var unused: [String: Double] = [:]
        try await offPool { try resumed.syncServers(metrics: &unused) }
        XCTAssertEqual(resumed.publishedPolicy?.name, "policy-v1")
        try FleetStep.assertServersServe(resumed, "resumed")
        try await offPool { try resumed.train() }
        XCTAssertEqual(try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").count, 2)
        await good.stop()
    }

    /// `aepo train --backend openai --endpoint URL` builds the fleet from the command line (`rollout.backend`,
    /// `rollout.endpoints`); without an endpoint it is refused naming the key.
    func testTrainCommandSamplesFromTheEndpointsItIsGiven() async throws {
        let workspace = try FleetWorkspace("fleet-command")
        defer { try? FileManager.default.removeItem(at: workspace.root) }
        let server = try await workspace.server()
        let keys = workspace.keys(run: "run", preset: "arpo")
        try await offPool { try TrainCommand.parse(["--algorithm", "arpo", "--backend", "openai", "--endpoint", server.url] + keys).run() }
        let metrics = try String(contentsOf: workspace.root.appendingPathComponent("run/metrics.jsonl"), encoding: .utf8)
        XCTAssertTrue(metrics.contains(#""servers":1"#), metrics)
        let resolved = try String(contentsOf: workspace.root.appendingPathComponent("run/config.json"), encoding: .utf8)
        XCTAssertTrue(resolved.contains(#""rollout.endpoints": "\#(server.url)""#), resolved)
        XCTAssertThrowsError(try TrainCommand.parse(["--algorithm", "arpo", "--backend", "openai", "--overwrite"] + keys).run()) { error in
            XCTAssertEqual((error as? InputError)?.field, "rollout.endpoints", "\(error)")
        }
        await server.stop()
    }

    /// By default the servers are synced before every step's rollout; `rollout.max_staleness=1` lets them sample step 2
    /// from the policy of step 0, recorded as such, with the rollout correction seeing the lag.
    func testAStalenessBoundLetsServersLagBehind() async throws {
        let workspace = try FleetWorkspace("fleet-staleness")
        defer { try? FileManager.default.removeItem(at: workspace.root) }
        let server = try await workspace.server()
        for bound in [0, 1] {
            let run = "bound-\(bound)"
            let trainer = try Trainer(config: workspace.config(workspace.keys(run: run, preset: "grpo") + [
                "trainer.steps=2", "rollout.max_staleness=\(bound)"], preset: "grpo", servers: [server]),
                                      phase: .rl, servers: try FleetWorkspace.fleet([server], warnings: WarningLog()))
            let first = try await offPool { try trainer.step() }
            let second = try await offPool { try trainer.step() }
            XCTAssertNotNil(first["time/sync_s"])
            XCTAssertEqual(second["time/sync_s"] != nil, bound == 0)
            let versions = try JSONLines.read(RolloutRecord.self, from: trainer.run.appendingPathComponent(RolloutLog.rolloutsFile))
                .map { [$0.step, $0.policyVersion!] }
            XCTAssertEqual(Set(versions), bound == 0 ? [[1, 0], [2, 1]] : [[1, 0], [2, 0]], run)
            let mismatch = try XCTUnwrap(second["logprob_mismatch_max"])
            if bound == 0 { XCTAssertLessThan(mismatch, 1e-4) } else { XCTAssertGreaterThan(mismatch, 1e-3, "sampled from the older policy") }
        }
        await server.stop()
    }

    /// Sampled at T = 1 with the default 20 top log-probs, the servers' log-probs are the trainer's: the correction that is
    /// on by default truncates and masks nothing.
    func testSampledRolloutsFromServersMatchTheTrainer() async throws {
        let workspace = try FleetWorkspace("fleet-sampled")
        defer { try? FileManager.default.removeItem(at: workspace.root) }
        let servers = [try await workspace.server(), try await workspace.server()]
        let trainer = try Trainer(config: workspace.config(workspace.keys(run: "run", preset: "aepo") + [
            "rollout.temperature=1", "rollout.top_logprobs=20"], preset: "aepo", servers: servers),
                                  phase: .rl, servers: try FleetWorkspace.fleet(servers, warnings: WarningLog()))
        let metrics = try await offPool { try trainer.step() }
        XCTAssertLessThan(try XCTUnwrap(metrics["logprob_mismatch_max"]), 1e-4)
        XCTAssertEqual(metrics["rollout_is_truncated_fraction"], 0)
        XCTAssertEqual(metrics["rollout_rs_masked_fraction"], 0)
        XCTAssertEqual(try XCTUnwrap(metrics["rollout_is_weight_mean"]), 1, accuracy: 1e-4)
        XCTAssertGreaterThan(try XCTUnwrap(metrics["tool_calls"]), 0)
        for server in servers { await server.stop() }
    }

    /// Of two servers, one may not read the run directory: it is dropped with a warning at the first sync (after its
    /// retries), and the step runs on the other.
    func testAServerThatCannotLoadThePolicyIsDroppedWithAWarning() async throws {
        let workspace = try FleetWorkspace("fleet-load")
        defer { try? FileManager.default.removeItem(at: workspace.root) }
        let elsewhere = workspace.root.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        let servers = [try await workspace.server(directory: elsewhere), try await workspace.server()]
        let warnings = WarningLog()
        let trainer = try Trainer(config: workspace.config(workspace.keys(run: "run", preset: "grpo"), preset: "grpo", servers: servers),
                                  phase: .rl, servers: try FleetWorkspace.fleet(servers, warnings: warnings))
        let metrics = try await offPool { try trainer.step() }
        XCTAssertEqual(metrics["servers"], 1)
        XCTAssertEqual(trainer.servers!.members, [servers[1].url])
        XCTAssertEqual(warnings.all.count, 1, "\(warnings.all)")
        XCTAssertTrue(warnings.all.first?.contains("dropping \(servers[0].url) from the fleet (1 server left)") == true
                      && warnings.all.first?.contains("outside the directory") == true, "\(warnings.all)")
        for server in servers { await server.stop() }
    }
}
