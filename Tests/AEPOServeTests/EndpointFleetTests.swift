import AEPOAgent
import AEPOAgentTestSupport
import AEPOCore
import AEPOModel
@testable import AEPORemote
import AEPORollout
import AEPOServe
import AEPOServeTestSupport
import Foundation
import XCTest

/// Sampling from a fleet of servers: requests spread over them, a server that dies is dropped and its requests go to
/// the others, and greedy trajectories do not depend on which server answered.
final class EndpointFleetTests: XCTestCase {
    static let settings = RolloutSettings(strategy: .aepo, trajectoriesPerQuestion: 4, initialRollouts: 2,
                                          branch: BranchPolicy.Settings(penalty: 0.05), preMonitor: true)


    static func fleet(_ urls: [String], warnings: WarningLog) throws -> EndpointFleet {
        EndpointFleet(endpoints: try urls.map {
            try OpenAIEndpoint(settings: .init(url: $0, timeout: 60, retries: 1, backoff: 0.01, concurrency: 4))
        }, warn: warnings.add)
    }

    static func backend(_ fleet: EndpointFleet, model: String = TestServer.modelName) throws -> RemoteSampler {
        try RemoteSampler(fleet: fleet, settings: .init(model: model, sampling: .greedy, topLogprobs: AgentFixture.vocabularySize,
                                                        vocabularySize: AgentFixture.vocabularySize,
                                                        contextLength: ToolProneModel.config().maxPositionEmbeddings))
    }

    static func rollout(_ backend: any SamplingBackend) throws -> RolloutBatch {
        let agent = AgentLoop(backend: backend, tokenizer: AgentFixture.tokenizer, environment: AgentFixture.environment,
                              settings: AgentSettings(maxResponseTokens: 40, maxToolCalls: 3))
        return try Rollout(agent: agent, settings: settings).run(AgentFixture.questions, generator: SeededGenerator(seed: 5))
    }

    static func assertSameTrajectories(_ a: RolloutBatch, _ b: RolloutBatch, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.trajectories.map(\.responseTokens), b.trajectories.map(\.responseTokens), file: file, line: line)
        XCTAssertEqual(a.trajectories.map(\.reward), b.trajectories.map(\.reward), file: file, line: line)
        XCTAssertEqual(a.events.map(\.taken), b.events.map(\.taken), "branch decisions", file: file, line: line)
        for (x, y) in zip(a.trajectories, b.trajectories) {
            for (p, q) in zip(x.policyLogProbs, y.policyLogProbs) { XCTAssertEqual(p, q, accuracy: 1e-4, file: file, line: line) }
        }
    }

    static let native: RolloutBatch = try! rollout(NativeSampler(engine: try InferenceEngine(model: try ToolProneModel.make()), sampling: .greedy))

    /// Two servers share the requests and give the native engine's trajectories.
    func testTwoServersShareTheRequestsAndGiveTheNativeTrajectories() async throws {
        let (a, b) = (try await TestServer.start(), try await TestServer.start())
        let warnings = WarningLog()
        let fleet = try Self.fleet([a.url, b.url], warnings: warnings)
        let backend = try Self.backend(fleet)
        let batch = try await offPool { try Self.rollout(backend) }
        Self.assertSameTrajectories(Self.native, batch)
        XCTAssertGreaterThan(fleet.answered[a.url] ?? 0, 0)
        XCTAssertGreaterThan(fleet.answered[b.url] ?? 0, 0)
        XCTAssertEqual(warnings.all, [])
        await a.stop()
        await b.stop()
    }

    /// A server stopped while the rollout runs: its requests go to the other, the trajectories are unchanged, and the
    /// fleet says which server it dropped and why.
    func testAServerStoppedMidRolloutIsDroppedAndTheRolloutCompletes() async throws {
        let (a, b) = (try await TestServer.start(), try await TestServer.start())
        let warnings = WarningLog()
        let fleet = try Self.fleet([a.url, b.url], warnings: warnings)
        let backend = try Self.backend(fleet)
        async let batch = offPool { try Self.rollout(backend) }
        let deadline = Date().addingTimeInterval(120)
        while (fleet.answered[b.url] ?? 0) < 3 && fleet.dropped.isEmpty && Date() < deadline { try await Task.sleep(nanoseconds: 1_000_000) }
        XCTAssertEqual(fleet.dropped, [:], "no server failed before the stop")
        await b.stop()
        let finished = try await batch
        Self.assertSameTrajectories(Self.native, finished)
        XCTAssertEqual(fleet.endpoints.map(\.settings.url), [a.url])
        XCTAssertNotNil(fleet.dropped[b.url])
        XCTAssertEqual(warnings.all.count, 1)
        XCTAssertTrue(warnings.all.first?.contains("dropping \(b.url) from the fleet (1 server left)") == true, "\(warnings.all)")
        await a.stop()
    }

    /// An unreachable server is dropped at its first request; a server that does not serve the model asked for (one that
    /// missed a policy sync) too; with no server left the error names each and why.
    func testUnreachableAndWrongModelServersAreDroppedUntilNoneIsLeft() async throws {
        let a = try await TestServer.start()
        let warnings = WarningLog()
        let dead = "http://127.0.0.1:9"
        let fleet = try Self.fleet([dead, a.url], warnings: warnings)
        let batch = try await offPool { try Self.rollout(try Self.backend(fleet)) }
        Self.assertSameTrajectories(Self.native, batch)
        XCTAssertEqual(fleet.endpoints.map(\.settings.url), [a.url])
        XCTAssertTrue(fleet.dropped[dead]?.contains("127.0.0.1:9/v1/completions") == true, "\(fleet.dropped)")

        let missed = try Self.fleet([a.url], warnings: warnings)
        XCTAssertThrowsError(try Self.rollout(try Self.backend(missed, model: "policy-v3"))) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("no server is left in the fleet: \(a.url): "), message)
            XCTAssertTrue(message.contains("the model 'policy-v3' does not exist"), message)
        }
        await a.stop()
    }

    /// A request every server would refuse fails at once, and no server is dropped for it.
    func testABadRequestFailsWithoutDroppingServers() async throws {
        let (a, b) = (try await TestServer.start(), try await TestServer.start())
        let warnings = WarningLog()
        let fleet = try Self.fleet([a.url, b.url], warnings: warnings)
        let bad: JSONValue = .object(["model": .string(TestServer.modelName), "prompt": .array([.integer(1_000_000)])])
        let good: JSONValue = .object(["model": .string(TestServer.modelName), "prompt": .array([.integer(5)]), "max_tokens": .integer(2)])
        XCTAssertThrowsError(try fleet.post("completions", bodies: [good, bad, good])) { error in
            XCTAssertEqual((error as? RemoteError)?.status, 400, "\(error)")
        }
        XCTAssertEqual(fleet.endpoints.count, 2)
        XCTAssertEqual(warnings.all, [])
        await a.stop()
        await b.stop()
    }
}
