import AEPORollout

/// Over-branching (docs/algorithm.md §10.2), over the branch events of one or more tree rollouts. A group is one
/// question's rollout at one step; branches are the taken decisions.
public struct OverBranching: Equatable, Sendable {
    /// Taken branches over all groups.
    public var branches: Int
    /// Σ over groups of the branches on the group's three most-branched roots, over `branches`
    /// (0 when nothing branched).
    public var topThreeShare: Double
    /// `branchesPerRoot[b]`: how many roots (that reached a branch point) received exactly b branches.
    public var branchesPerRoot: [Int]
    /// `runLengths[r]`: how many maximal runs of r consecutive rounds with at least one branch the groups had
    /// (a round without a branch, or a missing round, ends a run; index 0 is unused and stays 0).
    public var runLengths: [Int]
    /// The share of decisions (taken or not) made with a consecutive-branch counter `l ≥ 1`: those the penalty
    /// `(1 − λ·l)` of §2.5 lowers when `λ > 0` (0 without decisions).
    public var penalisedShare: Double

    public init(_ events: [LoggedBranchEvent]) {
        struct Group: Hashable { var step: Int?; var question: Int }
        var roots: [Group: [Int: Int]] = [:]
        var roundsBranched: [Group: [Int: Bool]] = [:]
        for logged in events {
            let group = Group(step: logged.step, question: logged.event.question)
            roots[group, default: [:]][logged.event.root, default: 0] += logged.event.taken ? 1 : 0
            roundsBranched[group, default: [:]][logged.event.round, default: false] = (roundsBranched[group]?[logged.event.round] ?? false) || logged.event.taken
        }
        var branches = 0, topThree = 0
        var perRoot: [Int] = [0]
        for counts in roots.values {
            let sorted = counts.values.sorted(by: >)
            branches += sorted.reduce(0, +)
            topThree += sorted.prefix(3).reduce(0, +)
            for count in sorted {
                if count >= perRoot.count { perRoot += Array(repeating: 0, count: count - perRoot.count + 1) }
                perRoot[count] += 1
            }
        }
        var runs: [Int] = [0]
        func close(_ length: Int) {
            guard length > 0 else { return }
            if length >= runs.count { runs += Array(repeating: 0, count: length - runs.count + 1) }
            runs[length] += 1
        }
        for rounds in roundsBranched.values {
            var length = 0
            var previous: Int?
            for round in rounds.keys.sorted() {
                if let previous, round != previous + 1 { close(length); length = 0 }
                if rounds[round]! { length += 1 } else { close(length); length = 0 }
                previous = round
            }
            close(length)
        }
        self.branches = branches
        penalisedShare = events.isEmpty ? 0 : Double(events.count(where: { $0.event.consecutiveBranches >= 1 })) / Double(events.count)
        topThreeShare = branches == 0 ? 0 : Double(topThree) / Double(branches)
        branchesPerRoot = perRoot
        runLengths = runs
    }
}
