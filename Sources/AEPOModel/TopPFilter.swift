import Foundation

/// Nucleus filtering: keeps the smallest set of highest-probability candidates whose total
/// probability under `softmax(scores)` reaches `p`.
///
/// With candidates sorted by descending probability `q₁ ≥ q₂ ≥ …`, token `i` is kept when
/// `Σ_{j<i} q_j < p` (so at least one token always stays). This is the rule of Hugging Face's
/// `TopPLogitsWarper` (drop tokens whose ascending cumulative probability is `≤ 1 − p`).
public struct TopPFilter: LogitsProcessor {
    public let p: Float

    public init(p: Float) {
        precondition(p > 0 && p <= 1, "top-p must be in (0, 1]")
        self.p = p
    }

    public func process(_ candidates: inout LogitCandidates) {
        guard p < 1, candidates.count > 1 else { return }
        var top = -Float.infinity
        for score in candidates.scores { top = max(top, score) }
        var total = 0.0
        for score in candidates.scores { total += exp(Double(score - top)) }
        let target = Double(p) * total
        // Sort only a prefix of the candidates, doubling it until it holds the nucleus.
        var prefix = min(candidates.count, 64)
        while true {
            candidates.sortDescending(prefix: prefix)
            var before = 0.0
            var kept = 0
            for score in candidates.scores[..<prefix] {
                guard before < target else { break }
                before += exp(Double(score - top))
                kept += 1
            }
            if before >= target || prefix == candidates.count {
                candidates.keepPrefix(kept)
                candidates.isSortedDescending = true
                return
            }
            prefix = min(candidates.count, 2 * prefix)
        }
    }
}
