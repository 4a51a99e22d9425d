/// The per-trajectory tool-call limit (spec: 3 in the reasoning setup, 6 in deep search).
///
/// The agent asks `consume()` before running each call; when it returns `false` the limit is
/// reached and the trajectory is ended (it then has no answer, so its format is broken).
/// A value type: a branched trajectory copies its parent's count.
public struct ToolCallBudget: Equatable, Codable, Sendable {
    /// The released deep-search limit (spec §6).
    public static let deepSearchLimit = 6
    /// The released reasoning-setup limit (spec §6).
    public static let reasoningLimit = 3

    public let limit: Int
    public private(set) var used: Int = 0

    public init(limit: Int) {
        precondition(limit >= 0, "tool-call limit must be ≥ 0")
        self.limit = limit
    }

    public var remaining: Int { limit - used }
    public var isExhausted: Bool { used >= limit }

    /// Counts one call; `false` (and nothing counted) when the limit is already reached.
    public mutating func consume() -> Bool {
        guard used < limit else { return false }
        used += 1
        return true
    }
}
