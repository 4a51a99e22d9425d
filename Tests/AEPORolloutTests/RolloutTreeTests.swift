import AEPORollout
import AEPOCore
import XCTest

/// Tree bookkeeping driven by a scripted fake policy: seeded segment entropies and stop kinds, no model.
final class RolloutTreeTests: XCTestCase {
    /// Runs one question to completion. Each round, every active trajectory ends its segment at a tool call
    /// (entropy drawn from the script) until `toolLimit` calls, or finishes with probability `finishChance`.
    func run(k: Int, m: Int, settings: BranchPolicy.Settings, finishChance: Double, toolLimit: Int = 6,
             seed: UInt64) -> (RolloutTree, freshRoots: Int) {
        var tree = RolloutTree(question: Int(seed), budget: k, roots: m, policy: BranchPolicy(settings: settings))
        var script = SeededGenerator(seed: seed), draws = SeededGenerator(seed: seed &+ 1)
        var toolCalls: [Int: Int] = [:]
        var freshRoots = 0
        for _ in 0..<1000 where !tree.isComplete {
            var ends: [Int: RolloutTree.SegmentEnd] = [:]
            for id in tree.activeIDs {
                let h = 3 * script.nextDouble()
                if toolCalls[id, default: 0] >= toolLimit || script.nextDouble() < finishChance {
                    ends[id] = .finished(segmentEntropy: h)
                } else {
                    toolCalls[id, default: 0] += 1
                    ends[id] = .toolCall(segmentEntropy: h)
                }
            }
            let result = tree.endRound(ends, using: &draws)
            for (child, parent) in result.branches { toolCalls[child] = toolCalls[parent] }
            if result.freshRoot != nil { freshRoots += 1 }
        }
        return (tree, freshRoots)
    }

    func testEveryQuestionEndsWithExactlyKTrajectoriesAndTheLogAccountsForThem() {
        let arpo = BranchPolicy.Settings()
        let aepo = BranchPolicy.Settings(penalty: 0.05)
        let released = BranchPolicy.Settings(penalty: 0.05, form: .released, scope: .question)
        for seed: UInt64 in 1...150 {
            let k = 2 + Int(seed % 11), m = 1 + Int(seed % UInt64(k))
            for settings in [arpo, aepo, released] {
                let (tree, freshRoots) = run(k: k, m: m, settings: settings, finishChance: 0.3, seed: seed)
                XCTAssertTrue(tree.isComplete, "seed \(seed)")
                XCTAssertEqual(tree.trajectories.count, k, "seed \(seed)")
                let taken = tree.events.filter(\.taken)
                XCTAssertEqual(taken.count + freshRoots + m, k, "every trajectory is a root, a fresh root or a logged branch")
                for trajectory in tree.trajectories where trajectory.parent != nil {
                    XCTAssertEqual(taken.filter { $0.child == trajectory.id }.map(\.parent), [trajectory.parent!])
                    XCTAssertEqual(trajectory.initialEntropy, tree.trajectories[trajectory.parent!].initialEntropy)
                }
                for round in Set(tree.events.map(\.round)) {
                    let parents = tree.events.filter { $0.round == round }.map(\.parent)
                    XCTAssertEqual(parents.count, Set(parents).count, "one decision per source per round")
                }
            }
        }
    }

    func testIndependentSamplingNeverBranches() {
        let (tree, freshRoots) = run(k: 8, m: 8, settings: BranchPolicy.Settings(alpha: 1), finishChance: 0.2, seed: 3)
        XCTAssertEqual(tree.trajectories.count, 8)
        XCTAssertTrue(tree.events.isEmpty)
        XCTAssertEqual(freshRoots, 0)
    }

    func testRootsThatFinishAtOnceAreToppedUpOnePerRound() {
        let (tree, freshRoots) = run(k: 5, m: 2, settings: BranchPolicy.Settings(alpha: 1), finishChance: 1, seed: 4)
        XCTAssertEqual(freshRoots, 3)
        XCTAssertEqual(tree.round, 4, "one fresh root per round after the first")
        XCTAssertTrue(tree.trajectories.allSatisfy { $0.parent == nil })
    }

    func testEntropyChangeIsAgainstTheFirstSegment() {
        var tree = RolloutTree(question: 0, budget: 3, roots: 1, policy: BranchPolicy(settings: BranchPolicy.Settings(alpha: 0.5, gamma: 0.2)))
        var rng = SeededGenerator(seed: 1)
        _ = tree.endRound([0: .toolCall(segmentEntropy: 1.0)], using: &rng)
        XCTAssertEqual(tree.events[0].entropyChange, 0, "the first segment sets H_init")
        XCTAssertEqual(tree.events[0].probability, 0.5)
        let active = tree.activeIDs
        var ends: [Int: RolloutTree.SegmentEnd] = [:]
        for id in active { ends[id] = .toolCall(segmentEntropy: 2.5) }
        _ = tree.endRound(ends, using: &rng)
        XCTAssertEqual(tree.events[1].entropyChange, 1.5, accuracy: 1e-15)
        XCTAssertEqual(tree.events[1].probability, 0.8, accuracy: 1e-15)
    }
}
