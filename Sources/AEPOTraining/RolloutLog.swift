import AEPOAgent
import AEPORollout
import Foundation

/// What an RL run's rollouts produced, step by step: `<run>/branch_events.jsonl` (every branch decision, a
/// `LoggedBranchEvent` with its step) and `<run>/rollouts.jsonl` (every trajectory, a `RolloutRecord`). A resumed
/// run drops the lines of steps after the checkpoint, which it redoes.
public final class RolloutLog {
    public static let branchEventsFile = "branch_events.jsonl"
    public static let rolloutsFile = "rollouts.jsonl"

    private let events: StepLogFile
    private let rollouts: StepLogFile

    /// Opens the two files in `run`, keeping the steps up to `resumedStep`.
    public init(run: URL, resumedStep: Int) throws {
        events = try StepLogFile(url: run.appendingPathComponent(Self.branchEventsFile), resumedStep: resumedStep)
        rollouts = try StepLogFile(url: run.appendingPathComponent(Self.rolloutsFile), resumedStep: resumedStep)
    }

    /// Appends one rollout round of `step`: its branch events and its groups' trajectories with their trained
    /// scores; the round's questions are numbered from `firstQuestion`. `trained[g]`: group g went into the update.
    public func record(step: Int, batch: RolloutBatch, firstQuestion: Int, scores: [[Double]], trained: [Bool], policyVersion: Int) throws {
        try events.append(batch.events.map { event -> LoggedBranchEvent in
            var event = event
            event.question += firstQuestion
            return LoggedBranchEvent(step: step, event: event)
        })
        try rollouts.append(batch.groups.enumerated().flatMap { g, group in
            zip(group, scores[g]).map {
                RolloutRecord(step: step, question: firstQuestion + g, trajectory: $0, score: $1, trained: trained[g], policyVersion: policyVersion)
            }
        })
    }
}
