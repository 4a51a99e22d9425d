/// Keeps the `k` highest-scoring candidates (ties broken by lower token id); a no-op when
/// `k` is at least the number of candidates.
public struct TopKFilter: LogitsProcessor {
    public let k: Int

    public init(k: Int) {
        precondition(k > 0, "top-k must be positive")
        self.k = k
    }

    public func process(_ candidates: inout LogitCandidates) {
        guard k < candidates.count else { return }
        candidates.sortDescending(prefix: k)
        candidates.keepPrefix(k)
        candidates.isSortedDescending = true
    }
}
