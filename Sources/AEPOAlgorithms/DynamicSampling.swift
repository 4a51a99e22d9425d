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
}
