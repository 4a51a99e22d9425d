import AEPOAgent

/// Tool calls per trajectory (from trajectories) and per step (from the metrics log), spec §5.
public struct ToolCallStatistics: Equatable, Sendable {
    /// `histogram[c]`: trajectories that made exactly c tool calls.
    public var histogram: [Int]
    public var meanPerTrajectory: Double

    public init(_ trajectories: [Trajectory]) {
        var histogram = [0]
        for trajectory in trajectories {
            let calls = trajectory.toolCalls.count
            if calls >= histogram.count { histogram += Array(repeating: 0, count: calls - histogram.count + 1) }
            histogram[calls] += 1
        }
        self.histogram = histogram
        meanPerTrajectory = trajectories.isEmpty ? 0
            : Double(trajectories.reduce(0) { $0 + $1.toolCalls.count }) / Double(trajectories.count)
    }

    /// Mean tool calls per trajectory at each step of the metrics log.
    public static func perStep(_ records: [MetricsRecord], phase: String = "rl") -> [(step: Int, value: Double)] {
        records.series(MetricKey.toolCalls, phase: phase)
    }
}
