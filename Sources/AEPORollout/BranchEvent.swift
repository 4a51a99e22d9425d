/// One branch decision of a tree rollout, as the over-branching analyses read it: which trajectory of which
/// question, in which round, with what entropy change, probability and penalty counter, and whether it branched.
public struct BranchEvent: Codable, Equatable, Sendable {
    public var question: Int
    /// The trajectory that reached the branch point.
    public var parent: Int
    /// The new trajectory, when the branch was taken.
    public var child: Int?
    /// The root trajectory of `parent`'s tree path.
    public var root: Int
    public var round: Int
    /// ΔH = H_seg(segment just generated) − H_init(trajectory).
    public var entropyChange: Double
    public var probability: Double
    /// The penalty counter l at the decision.
    public var consecutiveBranches: Int
    public var taken: Bool

    enum CodingKeys: String, CodingKey {
        case question, parent, child, root, round, probability, taken
        case entropyChange = "entropy_change", consecutiveBranches = "consecutive_branches"
    }
}
