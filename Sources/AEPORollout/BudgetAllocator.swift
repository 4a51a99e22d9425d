import Foundation

/// AEPO's entropy pre-monitoring (docs/algorithm.md §2.4): splits a question's `k` trajectories into `m` global roots
/// and `k − m` branches,
///
///     m = clamp( floor( k · σ( β · (H_root − H̄_tool) ) ) + 1, 1, k )
///
/// from one monitoring trajectory: `H_root` is `H_seg` of its first segment, `H̄_tool` the mean `H_seg` over
/// all its segments (the first included, as the released code does; `H_root` itself when no tool result came).
public struct BudgetAllocator: Equatable, Sendable {
    /// β of docs/algorithm.md §2.4.
    public static let defaultBeta = 0.5

    /// k, the question's total trajectories.
    public var trajectories: Int
    public var beta: Double

    public init(trajectories k: Int, beta: Double = defaultBeta) {
        precondition(k >= 1, "k ≥ 1")
        trajectories = k
        self.beta = beta
    }

    /// m for given `H_root` and `H̄_tool`.
    public func initialRollouts(rootEntropy: Double, toolEntropy: Double) -> Int {
        let sigmoid = 1 / (1 + exp(-beta * (rootEntropy - toolEntropy)))
        let m = Int((Double(trajectories) * sigmoid).rounded(.down)) + 1
        return min(max(m, 1), trajectories)
    }

    /// m from the monitoring trajectory's segment entropies `H_seg`, in order (the first is `H_root`).
    public func initialRollouts(segmentEntropies: [Double]) -> Int {
        guard let root = segmentEntropies.first else { return trajectories }
        let toolMean = segmentEntropies.count > 1 ? segmentEntropies.reduce(0, +) / Double(segmentEntropies.count) : root
        return initialRollouts(rootEntropy: root, toolEntropy: toolMean)
    }
}
