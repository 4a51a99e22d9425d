import AEPOAgent
import AEPOCore
import AEPOModel
import AEPORollout
import AEPOTokenizer
import AEPOTools
import Foundation

/// Pass@1 of a model through the agent loop: one trajectory per question (greedy by default, or `runs` sampled
/// runs averaged), scored by exact match (and token F1), per suite.
public struct Evaluator {
    public var tokenizer: Tokenizer
    public var environment: ToolEnvironment
    public var agentSettings: AgentSettings
    public var sampling: SamplingSettings
    /// Sampled runs per question (1 for greedy decoding).
    public var runs: Int
    /// Questions rolled out together.
    public var batchSize: Int

    public init(tokenizer: Tokenizer, environment: ToolEnvironment, agentSettings: AgentSettings,
                sampling: SamplingSettings = .greedy, runs: Int = 1, batchSize: Int = 64) {
        self.tokenizer = tokenizer
        self.environment = environment
        self.agentSettings = agentSettings
        self.sampling = sampling
        self.runs = max(1, runs)
        self.batchSize = max(1, batchSize)
    }

    /// One suite's scores on one split.
    public struct SuiteScore: Codable, Equatable, Sendable {
        /// `suite/split`, e.g. `bridge/test`, `bridge/test-ood`.
        public var suite: String
        public var questions: Int
        /// Mean exact match over questions and runs.
        public var passAt1: Double
        public var f1: Double
        public var toolCalls: Double
        public var responseLength: Double
    }

    /// Scores `questions` (grouped by suite and split, in first-appearance order) with `model`.
    public func evaluate(_ model: Qwen3Model, on questions: [Question], seed: UInt64 = 0) throws -> [SuiteScore] {
        let engine = InferenceEngine(model: model)
        let agent = AgentLoop(backend: NativeSampler(engine: engine, sampling: sampling), tokenizer: tokenizer,
                              environment: environment, settings: agentSettings)
        let rollout = Rollout(agent: agent, settings: RolloutSettings(strategy: .independent, trajectoriesPerQuestion: runs, initialRollouts: runs))
        var trajectories: [Trajectory] = []
        for start in stride(from: 0, to: questions.count, by: batchSize) {
            let batch = Array(questions[start..<min(start + batchSize, questions.count)])
            trajectories += try rollout.run(batch, generator: SeededGenerator(seed: seed).derived(stream: UInt64(start))).trajectories
        }
        var suites: [String] = []
        var bySuite: [String: [Trajectory]] = [:]
        let suiteOf = Dictionary(questions.map { ($0.id, "\($0.suite)/\($0.split)") }, uniquingKeysWith: { first, _ in first })
        for t in trajectories {
            let suite = suiteOf[t.questionID] ?? ""
            if bySuite[suite] == nil { suites.append(suite) }
            bySuite[suite, default: []].append(t)
        }
        return suites.map { suite in
            let ts = bySuite[suite]!
            let n = Double(ts.count)
            return SuiteScore(suite: suite, questions: ts.count / runs,
                              passAt1: ts.reduce(0.0) { $0 + ($1.reward.exactMatch ? 1 : 0) } / n,
                              f1: ts.reduce(0.0) { $0 + $1.reward.f1 } / n,
                              toolCalls: Double(ts.reduce(0) { $0 + $1.toolCalls.count }) / n,
                              responseLength: Double(ts.reduce(0) { $0 + $1.policyTokenCount }) / n)
        }
    }
}
