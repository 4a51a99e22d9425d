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
        candidates.sortDescending()
        let top = candidates.scores[0]
        var total = 0.0
        for score in candidates.scores { total += exp(Double(score - top)) }
        let target = Double(p) * total
        var before = 0.0
        var kept = 0
        for score in candidates.scores {
            guard before < target else { break }
            before += exp(Double(score - top))
            kept += 1
        }
        candidates.keepPrefix(kept)
    }
}
