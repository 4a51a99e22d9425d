import AEPOAgent
import AEPORollout

extension AlgorithmConfig.Rollout {
    /// The strategy, k, m, branch rule and pre-monitoring for `Rollout` (a validated configuration has 1 ≤ m ≤ k).
    public var rolloutSettings: RolloutSettings {
        RolloutSettings(strategy: strategy, trajectoriesPerQuestion: n, initialRollouts: initialRollouts, branch: branch,
                        preMonitor: preMonitor, budgetBeta: budgetBeta)
    }

    /// The response length, tool-call limit and `H_seg` window for `AgentLoop`.
    public var agentSettings: AgentSettings {
        AgentSettings(maxResponseTokens: responseLength, maxToolCalls: maxToolCalls, entropyWindow: entropyWindow)
    }
}
