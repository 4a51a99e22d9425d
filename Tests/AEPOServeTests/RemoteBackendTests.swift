import AEPOAgent
import AEPOAgentTestSupport
import AEPOCore
import AEPOModel
@testable import AEPORemote
import AEPORollout
import AEPOServe
import AEPOServeTestSupport
import XCTest

/// The remote backend drives `aepo serve` over real HTTP through the whole agent loop with tools.
final class RemoteBackendTests: XCTestCase {
    private func agent(_ backend: any SamplingBackend) -> AgentLoop {
        AgentLoop(backend: backend, tokenizer: AgentFixture.tokenizer, environment: AgentFixture.environment,
                  settings: AgentSettings(maxResponseTokens: 40, maxToolCalls: 3))
    }

    private func remote(_ server: TestServer, sampling: SamplingSettings, topLogprobs: Int = AgentFixture.vocabularySize) throws -> RemoteSampler {
        let endpoint = try OpenAIEndpoint(settings: .init(url: server.url, timeout: 60, retries: 0, concurrency: 8))
        return try RemoteSampler(fleet: EndpointFleet(endpoints: [endpoint]), settings: .init(
            model: TestServer.modelName, sampling: sampling, topLogprobs: topLogprobs,
            vocabularySize: AgentFixture.vocabularySize, contextLength: ToolProneModel.config().maxPositionEmbeddings))
    }

    /// At temperature 0 the remote backend gives the native engine's trajectories: the same tokens, tool calls,
    /// finishes and rewards, and (with every token's log-prob returned, n = |V|) the same log-probs and entropies.
    func testGreedyRemoteTrajectoriesEqualNativeOnes() async throws {
        let server = try await TestServer.start()
        let settingsList = [
            RolloutSettings(strategy: .independent, trajectoriesPerQuestion: 2),
            RolloutSettings(strategy: .aepo, trajectoriesPerQuestion: 4, initialRollouts: 2,
                            branch: BranchPolicy.Settings(penalty: 0.05), preMonitor: true),
        ]
        for settings in settingsList {
            let native = try Rollout(agent: agent(NativeSampler(engine: try InferenceEngine(model: try ToolProneModel.make()), sampling: .greedy)),
                                     settings: settings).run(AgentFixture.questions, generator: SeededGenerator(seed: 5))
            let backend = try remote(server, sampling: .greedy)
            let remote = try await offPool {
                try Rollout(agent: self.agent(backend), settings: settings).run(AgentFixture.questions, generator: SeededGenerator(seed: 5))
            }
            XCTAssertEqual(native.trajectories.count, remote.trajectories.count)
            for (n, r) in zip(native.trajectories, remote.trajectories) {
                XCTAssertEqual(n.responseTokens, r.responseTokens, "\(settings.strategy) \(n.questionID)/\(n.id)")
                XCTAssertEqual(n.lossMask, r.lossMask)
                XCTAssertEqual(n.finish, r.finish)
                XCTAssertEqual(n.text, r.text)
                XCTAssertEqual(n.toolCalls, r.toolCalls)
                XCTAssertEqual(n.parent, r.parent)
                XCTAssertEqual(n.reward, r.reward)
                XCTAssertEqual(n.logProbs, r.logProbs)
                for (a, b) in zip(n.policyLogProbs, r.policyLogProbs) { XCTAssertEqual(a, b, accuracy: 1e-4) }
                for (a, b) in zip(n.entropies, r.entropies) { XCTAssertEqual(a, b, accuracy: 1e-4) }
            }
            XCTAssertEqual(native.events.map(\.taken), remote.events.map(\.taken), "\(settings.strategy): the same branch decisions")
        }
        await server.stop()
    }

    /// Sampled AEPO rollouts over HTTP: the model calls tools, trees branch, every result comes back, and the
    /// entropies over the top 20 stay within [0, log 20].
    func testSampledAEPORolloutRunsTheAgentLoopWithToolsOverHTTP() async throws {
        let server = try await TestServer.start()
        let backend = try remote(server, sampling: SamplingSettings(temperature: 1), topLogprobs: 20)
        let settings = RolloutSettings(strategy: .aepo, trajectoriesPerQuestion: 4, initialRollouts: 2,
                                       branch: BranchPolicy.Settings(penalty: 0.05), preMonitor: true)
        let batch = try await offPool {
            try Rollout(agent: self.agent(backend), settings: settings).run(AgentFixture.questions, generator: SeededGenerator(seed: 9))
        }
        XCTAssertEqual(batch.groups.map(\.count), [4, 4, 4])
        XCTAssertGreaterThan(batch.report.toolCalls, 0)
        for t in batch.trajectories {
            XCTAssertEqual(t.lossMask.count, t.responseTokens.count)
            XCTAssertLessThanOrEqual(t.policyTokenCount, 40)
            for (i, h) in t.entropies.enumerated() where t.lossMask[i] == 1 {
                XCTAssertGreaterThanOrEqual(h, 0)
                XCTAssertLessThanOrEqual(h, Float(log(20.0)) + 1e-4)
                XCTAssertLessThanOrEqual(t.logProbs[i], 0)
                XCTAssertEqual(t.logProbs[i], t.policyLogProbs[i], "at T = 1 the sampled distribution is softmax(z): the reported log-prob, exact")
            }
        }
        XCTAssertEqual(server.scheduler.engine.cache.blocksInUse, 0, "the server released every sequence")
        await server.stop()
    }

    /// A server without logprobs, or that names tokens by text, gets a clear error.
    func testRepliesWithoutLogprobsOrTokenIDsAreClearErrors() throws {
        XCTAssertThrowsError(try RemoteSampler.tokenID(.string("hello"), source: "s")) { error in
            XCTAssertTrue("\(error)".contains("return_tokens_as_token_ids"), "\(error)")
        }
        XCTAssertEqual(try RemoteSampler.tokenID(.string("token_id:17"), source: "s"), 17)
        XCTAssertThrowsError(try OpenAIEndpoint(settings: .init(url: "localhost:8000")))
    }

    /// A server that is not there: the request is retried, then fails naming the endpoint.
    func testUnreachableServerFailsAfterRetries() throws {
        let endpoint = try OpenAIEndpoint(settings: .init(url: "http://127.0.0.1:9", timeout: 0.5, retries: 2, backoff: 0.01))
        XCTAssertThrowsError(try endpoint.post("completions", body: .object([:]))) { error in
            XCTAssertTrue("\(error)".contains("127.0.0.1:9/v1/completions"), "\(error)")
        }
    }
}
