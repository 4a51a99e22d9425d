import AEPOCore

/// The tokens still eligible for sampling and their scores (logits after any warping so far).
///
/// Sampling draws from `softmax(scores)` over these tokens only. A fresh value holds the whole
/// vocabulary in token order; filters remove tokens and may reorder the rest.
public struct LogitCandidates: Equatable, Sendable {
    public var tokens: [Int]
    public var scores: [Float]
    /// True when `scores` are in descending order (ties by ascending token id).
    public var isSortedDescending: Bool

    /// The whole vocabulary: token `i` with score `logits[i]`.
    public init(logits: UnsafeBufferPointer<Float>) {
        tokens = Array(0..<logits.count)
        scores = Array(logits)
        isSortedDescending = false
    }

    public init(tokens: [Int], scores: [Float]) {
        precondition(tokens.count == scores.count, "one score per token")
        self.tokens = tokens
        self.scores = scores
        isSortedDescending = false
    }

    public var count: Int { tokens.count }

    /// Reorders the candidates by descending score, ties by ascending token id (deterministic).
    public mutating func sortDescending() {
        guard !isSortedDescending else { return }
        let order = scores.indices.sorted { a, b in
            scores[a] != scores[b] ? scores[a] > scores[b] : tokens[a] < tokens[b]
        }
        tokens = order.map { tokens[$0] }
        scores = order.map { scores[$0] }
        isSortedDescending = true
    }

    /// Puts the `count` best candidates first, in the order `sortDescending` would give them (so
    /// keeping that prefix keeps exactly what a full sort would); the others follow in no particular
    /// order. Selects with a bounded heap, `O(n log count)`, when `count` is small beside `n`.
    public mutating func sortDescending(prefix count: Int) {
        guard !isSortedDescending else { return }
        guard count * 4 < self.count else {
            sortDescending()
            return
        }
        /// Orders candidates worst first: lower score, then higher token id.
        struct Ranked: Comparable {
            var score: Float, token: Int, index: Int
            static func < (a: Ranked, b: Ranked) -> Bool { a.score != b.score ? a.score < b.score : a.token > b.token }
            static func == (a: Ranked, b: Ranked) -> Bool { a.score == b.score && a.token == b.token }
        }
        var best = MinHeap<Ranked>()
        for i in 0..<self.count {
            let candidate = Ranked(score: scores[i], token: tokens[i], index: i)
            if best.count < count {
                best.push(candidate)
            } else if let worst = best.min, worst < candidate {
                best.pop()
                best.push(candidate)
            }
        }
        var order: [Int] = []
        order.reserveCapacity(self.count)
        var chosen = [Bool](repeating: false, count: self.count)
        while let next = best.pop() {
            order.append(next.index)
            chosen[next.index] = true
        }
        order.reverse()
        order += (0..<self.count).filter { !chosen[$0] }
        tokens = order.map { tokens[$0] }
        scores = order.map { scores[$0] }
    }

    /// Keeps the first `count` candidates.
    public mutating func keepPrefix(_ count: Int) {
        tokens.removeSubrange(count...)
        scores.removeSubrange(count...)
    }
}

/// One step of a sampling pipeline: rescales or filters the candidates (as swift-transformers'
/// logits warpers do). Processors compose by running in sequence.
public protocol LogitsProcessor: Sendable {
    func process(_ candidates: inout LogitCandidates)
}
