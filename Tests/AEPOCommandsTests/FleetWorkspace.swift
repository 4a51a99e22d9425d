import AEPOAgentTestSupport
import AEPOModel
import AEPORemote
import AEPOServe
import AEPOServeTestSupport
import AEPOTestSupport
import AEPOTraining
import Foundation

/// A server a fleet test samples from, known by its base URL: in-process (`TestServer`) or a child process
/// (`ServeProcess`).
protocol FleetServer {
    var url: String { get }
}

extension TestServer: FleetServer {}

/// A fleet test's workspace (the tool-prone model that searches even greedily, the agent fixture's questions) whose
/// servers may load from `root`, with the test-sized training keys.
struct FleetWorkspace {
    let root: URL, model: URL, data: URL

    init(_ label: String) throws {
        root = try Fixtures.temporaryDirectory(label).resolvingSymlinksInPath()
        (model, data) = try ToolProneWorkspace.make(in: root, model: try ToolProneModel.makeSearching())
    }

    /// The limits the workspace's servers answer within: a request may ask for the whole vocabulary's log-probs.
    static let limits = ServeLimits(maxBodyBytes: 1 << 20, maxTokens: 200, maxPromptTokens: 512, maxConcurrentRequests: 64,
                                    maxTopLogprobs: AgentFixture.vocabularySize)

    /// A server of the workspace's model (or `model`) that loads from `root` (or from `directory`; without runtime
    /// loading when `loading` is false).
    func server(model: Qwen3Model? = nil, loading: Bool = true, directory: URL? = nil) async throws -> TestServer {
        try await TestServer.start(model: try model ?? Checkpoint.loadForInference(directory: self.model, adapter: nil), limits: Self.limits,
                                   loading: loading ? try RuntimeLoading(directory: (directory ?? root).path, adapters: true) : nil)
    }

    /// `aepo serve` of the workspace's model in a child process, loading adapters from `root`.
    func serveProcess() async throws -> ServeProcess {
        try await ServeProcess.start(model: model, tokenizer: data.appendingPathComponent("tokenizer.json"), loraDirectory: root,
                                     limits: Self.limits)
    }

    /// Test-sized keys: `questions` questions (2 by default) of k = 4, greedy, an entropy bonus so that the update moves
    /// the weights.
    func keys(run: String, preset: String, lora: Bool = true, questions: Int = 2) -> [String] {
        ["model.path=\(model.path)", "data.benchmark=\(data.path)", "trainer.run_dir=\(root.appendingPathComponent(run).path)",
         "trainer.steps=1", "data.train_batch_size=\(questions)", "actor.ppo_mini_batch_size=1", "rollout.n=4", "rollout.initial_rollouts=2",
         "rollout.response_length=24", "rollout.max_tool_calls=2", "rollout.temperature=0", "actor.entropy_coeff=0.05",
         "actor.optim.lr=0.05", "model.lora.rank=\(lora ? 2 : 0)", "trainer.micro_batch_size=0", "trainer.log_freq=100",
         "rollout.top_logprobs=\(AgentFixture.vocabularySize)"]
    }

    func config(_ keys: [String], preset: String, servers: [FleetServer] = []) throws -> TrainingConfig {
        let remote = servers.isEmpty ? [] : ["rollout.backend=openai", "rollout.endpoints=" + servers.map(\.url).joined(separator: ","),
                                             "rollout.retries=1", "rollout.timeout=60"]
        return try TrainingConfig.resolve(algorithm: preset, file: nil, overrides: keys + remote)
    }

    /// The fleet of `servers`, warnings collected.
    static func fleet(_ servers: [FleetServer], warnings: WarningLog) throws -> ServerFleet {
        ServerFleet(fleet: EndpointFleet(endpoints: try servers.map {
            try OpenAIEndpoint(settings: .init(url: $0.url, timeout: 60, retries: 1, backoff: 0.01))
        }, warn: warnings.add))
    }
}
