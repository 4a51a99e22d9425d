import AEPOAgent
import AEPOCore
import Foundation

/// What `Rollout.run` returns.
public struct RolloutBatch: Sendable {
    /// Per question in batch order, its k trajectories ordered by id.
    public var groups: [[Trajectory]]
    /// Every branch decision, question by question, round by round.
    public var events: [BranchEvent]
    public var report: RolloutReport

    /// All trajectories, question by question.
    public var trajectories: [Trajectory] { groups.flatMap { $0 } }

    /// Writes the branch-event log as JSON Lines (atomically).
    public func writeEvents(to url: URL) throws {
        try JSONLines.write(events, to: url)
    }
}
