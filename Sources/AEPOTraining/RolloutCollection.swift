import AEPOAgent
import AEPOAlgorithms
import AEPORollout

/// The trajectories an RL step trains on: the kept groups of one or more generation rounds (DAPO's dynamic sampling
/// drops groups whose scores are all equal and rolls out more questions, `DynamicSampling`), with their scores as
/// trained (after the overlong penalty, `OverlongRewardShaping`) and what the rounds cost.
struct RolloutCollection {
    var groups: [[Trajectory]] = []
    var scores: [[Double]] = []
    var rounds = 0
    var dropped = 0
    var generatedTokens = 0
    var monitorTokens = 0
    var branching = BranchStatistics()

    /// Every kept trajectory, group after group.
    var trajectories: [Trajectory] { groups.flatMap { $0 } }
    var flatScores: [Double] { scores.flatMap { $0 } }
    /// The group of each trajectory.
    var groupIDs: [Int] { groups.enumerated().flatMap { g, members in [Int](repeating: g, count: members.count) } }
    /// Row of each group's first trajectory, then the total.
    var firstRows: [Int] { groups.reduce(into: [0]) { $0.append($0.last! + $1.count) } }

    /// Scores one round's groups, keeps the informative ones (all of them without filtering) and returns the scores
    /// and kept flags of every group of the round, for the rollout log.
    mutating func add(_ batch: RolloutBatch, shaping: OverlongRewardShaping?, filterGroups: Bool) -> (scores: [[Double]], kept: [Bool]) {
        rounds += 1
        generatedTokens += batch.report.generatedTokens
        monitorTokens += batch.report.preMonitorTokens
        branching.add(batch)
        var roundScores: [[Double]] = [], kept: [Bool] = []
        for group in batch.groups {
            let s = group.map { shaping?.shaped(score: $0.reward.value, length: $0.policyTokenCount) ?? $0.reward.value }
            let informative = !filterGroups || !DynamicSampling.informativeGroups(scores: s, groupIDs: s.map { _ in 0 }).isEmpty
            roundScores.append(s)
            kept.append(informative)
            if informative {
                groups.append(group)
                scores.append(s)
            } else {
                dropped += 1
            }
        }
        return (roundScores, kept)
    }

    /// Reward, exact-match accuracy, F1, response length and tool calls, each a mean over the kept trajectories.
    var outcomeMetrics: [String: Double] {
        let all = trajectories, flat = flatScores
        let n = Double(max(all.count, 1))
        return [
            "reward": flat.reduce(0, +) / Double(max(flat.count, 1)),
            "accuracy": all.reduce(0.0) { $0 + ($1.reward.exactMatch ? 1 : 0) } / n,
            "f1": all.reduce(0.0) { $0 + $1.reward.f1 } / n,
            "response_length": Double(all.reduce(0) { $0 + $1.policyTokenCount }) / n,
            "tool_calls": Double(all.reduce(0) { $0 + $1.toolCalls.count }) / n,
            "questions": Double(groups.count),
        ]
    }
}
