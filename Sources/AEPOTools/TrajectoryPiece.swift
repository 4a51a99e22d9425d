/// A stretch of a trajectory by who wrote it: the policy (`model`) or the environment
/// (`environment`: the rendered `<result>` blocks). The prompt is not part of a trajectory.
///
/// The agent knows this split from its loss mask (policy tokens 1, tool-output tokens 0); it is
/// what lets the format check tell a `<result>` the environment wrote from one the model forged.
public enum TrajectoryPiece: Equatable, Sendable {
    case model(String)
    case environment(String)

    public var text: String {
        switch self {
        case .model(let text), .environment(let text): return text
        }
    }
}
