/// Pass@k from n sampled answers of which c are correct, with the unbiased estimator
/// `pass@k = 1 − C(n−c, k) / C(n, k)` (docs/algorithm.md §10.1).
public enum PassAtK {
    /// The unbiased estimate for one question. The ratio of binomials is evaluated as the product
    /// `∏_{i = n−c+1}^{n} (1 − k / i)`, which never forms a large binomial coefficient.
    /// - Precondition: `0 ≤ c ≤ n` and `1 ≤ k ≤ n`.
    public static func estimate(samples n: Int, correct c: Int, k: Int) -> Double {
        precondition(n >= 1 && k >= 1 && k <= n && c >= 0 && c <= n, "pass@k needs 0 ≤ c ≤ n and 1 ≤ k ≤ n")
        if c == 0 { return 0 }
        if n - c < k { return 1 }
        var remaining = 1.0
        for i in (n - c + 1)...n {
            remaining *= 1 - Double(k) / Double(i)
        }
        return 1 - remaining
    }

    /// The mean of `estimate` over questions, each given as its `(n, c)` pair.
    public static func mean(_ questions: [(samples: Int, correct: Int)], k: Int) -> Double {
        guard !questions.isEmpty else { return 0 }
        return questions.reduce(0) { $0 + estimate(samples: $1.samples, correct: $1.correct, k: k) } / Double(questions.count)
    }
}
