import AEPORollout

/// The rollout shape of a step: m chosen per question, branches per question, and the over-branching
/// measure of docs/algorithm.md §10.2 (the share of a question's branches that sit on its three most-branched roots).
struct BranchStatistics {
    var questions = 0
    var roots = 0
    var branches = 0
    var branchesOnTopRoots = 0

    mutating func add(_ batch: RolloutBatch) {
        questions += batch.report.questions
        roots += batch.report.initialRollouts.reduce(0, +)
        branches += batch.report.branches
        var perRoot: [Int: [Int: Int]] = [:]
        for event in batch.events where event.taken { perRoot[event.question, default: [:]][event.root, default: 0] += 1 }
        for counts in perRoot.values { branchesOnTopRoots += counts.values.sorted(by: >).prefix(3).reduce(0, +) }
    }

    var metrics: [String: Double] {
        var m = ["m_mean": Double(roots) / Double(max(questions, 1)), "branches_per_question": Double(branches) / Double(max(questions, 1))]
        if branches > 0 { m["branch_top3_root_share"] = Double(branchesOnTopRoots) / Double(branches) }
        return m
    }
}
