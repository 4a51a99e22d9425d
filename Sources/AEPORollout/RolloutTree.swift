import AEPOCore

/// The bookkeeping of one question's tree rollout (docs/algorithm.md §2.2, §2.3), without a model: which trajectories
/// exist, their `H_init`, which branch after each round, the fresh roots, and the branch-event log.
///
/// The rollout driver generates every active trajectory to its next stop, then reports each one's segment
/// end here; the tree answers with the branches to fork (copies of the parent's full state, KV cache
/// included) and a fresh root if the question ran dry. The question ends with exactly `budget` trajectories.
/// Independent sampling is the case `roots == budget` (no branch is ever possible).
public struct RolloutTree: Sendable {
    public struct Trajectory: Equatable, Sendable {
        public var id: Int
        /// The trajectory this one was copied from; `nil` for a root.
        public var parent: Int?
        public var root: Int
        /// `H_seg` of the path's first segment; a branch shares its parent's.
        public var initialEntropy: Double?
        public var isActive: Bool
    }

    /// How a trajectory's latest segment ended.
    public enum SegmentEnd: Equatable, Sendable {
        /// At a tool call: the tool ran and its result was appended; the trajectory may branch.
        case toolCall(segmentEntropy: Double)
        /// At EOS, `</answer>`, the length limit or the tool-call limit; `segmentEntropy` of this last segment.
        case finished(segmentEntropy: Double)
    }

    /// What the driver must do after a round.
    public struct RoundResult: Equatable, Sendable {
        /// New trajectories to fork from their parents.
        public var branches: [(child: Int, parent: Int)]
        /// A new root trajectory to start from the prompt.
        public var freshRoot: Int?

        public static func == (a: RoundResult, b: RoundResult) -> Bool {
            a.freshRoot == b.freshRoot && a.branches.elementsEqual(b.branches) { $0 == $1 }
        }
    }

    public let question: Int
    /// k.
    public let budget: Int
    public let policy: BranchPolicy
    public private(set) var trajectories: [Trajectory] = []
    public private(set) var events: [BranchEvent] = []
    public private(set) var round = 0
    private var counter: BranchCounter

    /// Starts `roots` (m) root trajectories, ids `0..<roots`.
    public init(question: Int, budget k: Int, roots m: Int, policy: BranchPolicy) {
        precondition(k >= 1 && m >= 1 && m <= k, "need 1 ≤ m ≤ k")
        self.question = question
        budget = k
        self.policy = policy
        counter = BranchCounter(scope: policy.settings.scope)
        for id in 0..<m { trajectories.append(Trajectory(id: id, parent: nil, root: id, initialEntropy: nil, isActive: true)) }
    }

    public var activeIDs: [Int] { trajectories.filter(\.isActive).map(\.id) }

    /// Every trajectory exists and has finished.
    public var isComplete: Bool { trajectories.count == budget && activeIDs.isEmpty }

    /// Records how each active trajectory's segment ended this round and decides the branches: each trajectory
    /// stopped at a tool call branches with the policy's probability for `ΔH = H_seg − H_init` and its counter
    /// `l`, at most once, while the question has fewer than `budget` trajectories. A question left with no
    /// active trajectory and fewer than `budget` gets one fresh root.
    public mutating func endRound(_ ends: [Int: SegmentEnd], using generator: inout SeededGenerator) -> RoundResult {
        round += 1
        var decisions: [(path: Int, branched: Bool)] = []
        var result = RoundResult(branches: [], freshRoot: nil)
        for id in activeIDs {
            guard let end = ends[id] else { preconditionFailure("active trajectory \(id) of question \(question) did not report") }
            let entropy: Double
            switch end {
            case .toolCall(let h): entropy = h
            case .finished(let h): entropy = h
            }
            if trajectories[id].initialEntropy == nil { trajectories[id].initialEntropy = entropy }
            guard case .toolCall = end else {
                trajectories[id].isActive = false
                continue
            }
            guard trajectories.count < budget else { continue }
            let l = counter.consecutiveBranches(path: id, question: question)
            let dH = entropy - trajectories[id].initialEntropy!
            let decision = policy.decide(entropyChange: dH, consecutiveBranches: l, using: &generator)
            var child: Int?
            if decision.branches {
                var copy = trajectories[id]
                copy.id = trajectories.count
                copy.parent = id
                trajectories.append(copy)
                child = copy.id
                result.branches.append((copy.id, id))
            }
            decisions.append((id, decision.branches))
            events.append(BranchEvent(question: question, parent: id, child: child, root: trajectories[id].root, round: round,
                                      entropyChange: dH, probability: decision.probability, consecutiveBranches: l,
                                      taken: decision.branches))
        }
        if activeIDs.isEmpty && trajectories.count < budget {
            let id = trajectories.count
            trajectories.append(Trajectory(id: id, parent: nil, root: id, initialEntropy: nil, isActive: true))
            result.freshRoot = id
        }
        counter.endRound(question: question, decisions: decisions, children: result.branches, freshRoots: result.freshRoot != nil)
        return result
    }
}
