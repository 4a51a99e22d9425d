/// The per-trajectory tool-call limit (docs/algorithm.md §1.1).
///
/// The agent asks `consume()` before running each call; when it returns `false` the limit is
/// reached and the trajectory is ended (it then has no answer, so its format is broken).
/// A value type: a branched trajectory copies its parent's count.
public struct ToolCallBudget: Equatable, Codable, Sendable {
    public let limit: Int
    public private(set) var used: Int = 0

    public init(limit: Int) {
        precondition(limit >= 0, "tool-call limit must be ≥ 0")
        self.limit = limit
    }

    /// Counts one call; `false` (and nothing counted) when the limit is already reached.
    public mutating func consume() -> Bool {
        guard used < limit else { return false }
        used += 1
        return true
    }
}
