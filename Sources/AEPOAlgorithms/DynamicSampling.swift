/// DAPO's dynamic sampling filter: a group whose rewards are all equal has zero group-normalised advantage
/// and teaches nothing, so it is dropped and the batch is refilled with further questions.
public enum DynamicSampling {
    /// The group ids, in first-appearance order, whose scores are not all equal (within `tolerance`).
    public static func informativeGroups(scores: [Double], groupIDs: [Int], tolerance: Double = 0) -> [Int] {
        precondition(scores.count == groupIDs.count, "one group id per score")
        var order: [Int] = []
        var range: [Int: (low: Double, high: Double)] = [:]
        for (score, id) in zip(scores, groupIDs) {
            if let r = range[id] {
                range[id] = (min(r.low, score), max(r.high, score))
            } else {
                order.append(id)
                range[id] = (score, score)
            }
        }
        return order.filter { range[$0]!.high - range[$0]!.low > tolerance }
    }

    /// Indices of the sequences to keep: those of informative groups.
    public static func keptSequences(scores: [Double], groupIDs: [Int], tolerance: Double = 0) -> [Int] {
        let keep = Set(informativeGroups(scores: scores, groupIDs: groupIDs, tolerance: tolerance))
        return groupIDs.indices.filter { keep.contains(groupIDs[$0]) }
    }

    /// Accumulates informative groups over generation rounds until `target` groups are collected
    /// (verl's DAPO loop); `add` returns whether the batch is full.
    public struct Batch: Sendable {
        public let target: Int
        /// Informative group ids collected so far, in order.
        public private(set) var groups: [Int] = []
        /// Groups seen and dropped (all rewards equal), for the metrics.
        public private(set) var dropped = 0

        public init(targetGroups: Int) {
            precondition(targetGroups >= 1, "target ≥ 1")
            target = targetGroups
        }

        public var isFull: Bool { groups.count >= target }

        /// Adds one generation round; returns `isFull`. Groups past the target are not taken.
        @discardableResult
        public mutating func add(scores: [Double], groupIDs: [Int], tolerance: Double = 0) -> Bool {
            let informative = DynamicSampling.informativeGroups(scores: scores, groupIDs: groupIDs, tolerance: tolerance)
            dropped += Set(groupIDs).count - informative.count
            groups += informative.prefix(max(target - groups.count, 0))
            return isFull
        }
    }
}
