/// The consecutive-branch counter `l` of AEPO's penalty (docs/algorithm.md §2.6): the number of consecutive rounds in
/// which branching happened, reset to 0 after a round without one.
///
/// With scope `path` each trajectory has its own counter and a branch starts with its parent's; with scope
/// `question` one counter is shared by a question's trajectories, and a round counts as branching when any of
/// them branched or a fresh root was started (the released code).
public struct BranchCounter: Equatable, Sendable {
    public let scope: BranchPolicy.PenaltyScope
    private var paths: [Int: Int] = [:]
    private var questions: [Int: Int] = [:]

    public init(scope: BranchPolicy.PenaltyScope) {
        self.scope = scope
    }

    /// `l` for trajectory `path` of question `question`.
    public func consecutiveBranches(path: Int, question: Int) -> Int {
        switch scope {
        case .path: return paths[path] ?? 0
        case .question: return questions[question] ?? 0
        }
    }

    /// Records one round of question `question`.
    /// - Parameters:
    ///   - decisions: each trajectory that reached a branch point this round, and whether it branched.
    ///   - children: each new branch with the trajectory it was copied from.
    ///   - freshRoots: whether a fresh root trajectory was started for the question this round.
    public mutating func endRound(question: Int, decisions: [(path: Int, branched: Bool)],
                                  children: [(child: Int, parent: Int)], freshRoots: Bool = false) {
        for (path, branched) in decisions {
            paths[path] = branched ? (paths[path] ?? 0) + 1 : 0
        }
        for (child, parent) in children {
            paths[child] = paths[parent] ?? 0
        }
        let any = freshRoots || decisions.contains { $0.branched }
        questions[question] = any ? (questions[question] ?? 0) + 1 : 0
    }
}
