import AEPOAgent
import AEPOTools
import AEPOTraining

/// Sampling diversity of one group (one question's trajectories, from a rollout or a training run's log), docs/algorithm.md §10.2.
public struct SamplingDiversity: Equatable, Sendable {
    public var trajectories: Int
    /// Distinct sequences of tool calls (name and input, in order).
    public var distinctToolCallSequences: Int
    /// Distinct final answers after answer normalisation; a missing answer counts as one more kind.
    public var distinctAnswers: Int
    /// Mean over pairs of the token-level Jaccard distance `1 − |A ∩ B| / |A ∪ B|` of the sets of
    /// policy-written response tokens (0 for fewer than two trajectories).
    public var meanPairwiseJaccardDistance: Double

    public init(_ group: [Trajectory]) {
        self.init(toolCalls: group.map { $0.toolCalls.map(\.call) }, answers: group.map(\.answer),
                  policyTokens: group.map(\.policyTokens))
    }

    /// The group of one question at one step of a training run's rollout log.
    public init(_ group: [RolloutRecord]) {
        self.init(toolCalls: group.map(\.toolCalls), answers: group.map(\.answer), policyTokens: group.map(\.policyTokens))
    }

    /// Per trajectory of the group: its tool calls in order, its answer, its policy-written tokens.
    public init(toolCalls: [[ToolCall]], answers: [String?], policyTokens: [[Int]]) {
        trajectories = answers.count
        distinctToolCallSequences = Set(toolCalls.map { $0.map { [$0.name, $0.input] } }).count
        distinctAnswers = Set(answers.map { $0.map(Reward.normalize) }).count
        let sets = policyTokens.map(Set.init)
        var total = 0.0, pairs = 0
        for i in sets.indices {
            for j in sets.indices where j > i {
                let union = sets[i].union(sets[j]).count
                total += union == 0 ? 0 : 1 - Double(sets[i].intersection(sets[j]).count) / Double(union)
                pairs += 1
            }
        }
        meanPairwiseJaccardDistance = pairs == 0 ? 0 : total / Double(pairs)
    }

    /// The mean of each figure over `groups`.
    public static func mean(_ groups: [SamplingDiversity]) -> (toolCallSequences: Double, answers: Double, jaccard: Double) {
        guard !groups.isEmpty else { return (0, 0, 0) }
        let n = Double(groups.count)
        return (Double(groups.reduce(0) { $0 + $1.distinctToolCallSequences }) / n,
                Double(groups.reduce(0) { $0 + $1.distinctAnswers }) / n,
                groups.reduce(0) { $0 + $1.meanPairwiseJaccardDistance } / n)
    }

    /// Per training step of a rollout log (ascending), the mean of each figure over the step's groups.
    public static func perStep(_ groups: [[RolloutRecord]]) -> [(step: Int, toolCallSequences: Double, answers: Double, jaccard: Double)] {
        let byStep = Dictionary(grouping: groups.filter { !$0.isEmpty }, by: { $0[0].step })
        return byStep.keys.sorted().map { step in
            let m = mean(byStep[step]!.map(SamplingDiversity.init))
            return (step, m.toolCallSequences, m.answers, m.jaccard)
        }
    }
}
