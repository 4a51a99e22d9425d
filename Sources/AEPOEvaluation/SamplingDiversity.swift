import AEPOAgent
import AEPOTools

/// Sampling diversity of one group (one question's trajectories), spec §5.
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
        trajectories = group.count
        distinctToolCallSequences = Set(group.map { $0.toolCalls.map { [$0.call.name, $0.call.input] } }).count
        distinctAnswers = Set(group.map { $0.answer.map(Reward.normalize) }).count
        let sets = group.map { trajectory in
            Set(zip(trajectory.responseTokens, trajectory.lossMask).filter { $0.1 > 0 }.map(\.0))
        }
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
}
