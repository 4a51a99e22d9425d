import AEPOTools

/// Limits and format of the agent loop.
public struct AgentSettings: Equatable, Sendable {
    /// Policy tokens per trajectory (tool output excluded); `rollout.response_length` (docs/algorithm.md §1.1).
    public var maxResponseTokens: Int
    /// Tool calls per trajectory; the next call ends the trajectory (docs/algorithm.md §1.1).
    public var maxToolCalls: Int
    /// K of `H_seg`.
    public var entropyWindow: Int
    public var prompt: AgentPrompt

    public init(maxResponseTokens: Int = 6192, maxToolCalls: Int = 6, entropyWindow: Int = SegmentEntropy.defaultWindow,
                prompt: AgentPrompt = AgentPrompt()) {
        precondition(maxResponseTokens >= 1 && maxToolCalls >= 0 && entropyWindow >= 1, "invalid agent settings")
        self.maxResponseTokens = maxResponseTokens
        self.maxToolCalls = maxToolCalls
        self.entropyWindow = entropyWindow
        self.prompt = prompt
    }
}
