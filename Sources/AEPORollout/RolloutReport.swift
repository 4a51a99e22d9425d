/// The costs of one rolled-out batch.
public struct RolloutReport: Codable, Equatable, Sendable {
    public var questions = 0
    /// Trajectories kept (k per question).
    public var trajectories = 0
    /// Policy tokens sampled for the kept trajectories (a branch's shared prefix counted once),
    /// pre-monitoring excluded.
    public var generatedTokens = 0
    /// Tool-result tokens appended (loss mask 0), pre-monitoring excluded.
    public var toolResultTokens = 0
    /// Tool calls run, pre-monitoring excluded.
    public var toolCalls = 0
    /// Prefill tokens the backend ran (prompts once per question, tool results, pre-monitoring included).
    public var prefillTokens = 0
    /// Prefill tokens beyond what the rollout needed (each prompt once, each tool result once, and each
    /// backend-deferred token): a prefix computed again for a branch. Branches fork the cache: must be 0.
    public var branchPrefillRecomputed = 0
    /// Branches taken, fresh roots started, and root trajectories (m) per question in batch order.
    public var branches = 0
    public var freshRoots = 0
    public var initialRollouts: [Int] = []
    /// AEPO's entropy pre-monitoring: trajectories (one per question), their policy tokens and tool calls.
    public var preMonitorTrajectories = 0
    public var preMonitorTokens = 0
    public var preMonitorToolCalls = 0
    /// Rounds of the tree rollout (generate → tools → branch), pre-monitoring excluded.
    public var rounds = 0
    public var seconds = 0.0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case questions, trajectories, generatedTokens = "generated_tokens", toolResultTokens = "tool_result_tokens"
        case toolCalls = "tool_calls", prefillTokens = "prefill_tokens", branchPrefillRecomputed = "branch_prefill_recomputed"
        case branches, freshRoots = "fresh_roots", initialRollouts = "initial_rollouts"
        case preMonitorTrajectories = "pre_monitor_trajectories", preMonitorTokens = "pre_monitor_tokens"
        case preMonitorToolCalls = "pre_monitor_tool_calls", rounds, seconds
    }
}
