import AEPOCore

/// The evaluation figures of one suite: Pass@1 (mean over runs), Pass@k, exact match, F1,
/// tool calls per question and the share of answer-format failures.
public struct SuiteSummary: Codable, Equatable, Sendable {
    public var suite: String
    public var questions: Int
    /// Runs per question (n of the Pass@k estimator).
    public var runs: Int
    /// Mean over runs of the share of exactly matched questions.
    public var passAt1: Double
    /// `k → mean over questions of 1 − C(n−c, k)/C(n, k)`, keyed by k in decimal.
    public var passAtK: [String: Double]
    public var exactMatch: Double
    public var f1: Double
    public var toolCallsPerQuestion: Double
    public var formatFailureRate: Double

    enum CodingKeys: String, CodingKey {
        case suite, questions, runs, f1
        case passAt1 = "pass_at_1", passAtK = "pass_at_k", exactMatch = "exact_match"
        case toolCallsPerQuestion = "tool_calls_per_question", formatFailureRate = "format_failure_rate"
    }

    /// Summaries of `outcomes`, one per suite in order of first appearance.
    /// Every question of a suite must have the same number of runs, at least the largest k.
    public static func summarize(_ outcomes: [QuestionOutcome], ks: [Int]) throws -> [SuiteSummary] {
        var order: [String] = []
        var bySuite: [String: [QuestionOutcome]] = [:]
        for outcome in outcomes {
            if bySuite[outcome.suite] == nil { order.append(outcome.suite) }
            bySuite[outcome.suite, default: []].append(outcome)
        }
        return try order.map { try summarize(suite: $0, bySuite[$0]!, ks: ks) }
    }

    private static func summarize(suite: String, _ outcomes: [QuestionOutcome], ks: [Int]) throws -> SuiteSummary {
        var questionOrder: [String] = []
        var byQuestion: [String: [QuestionOutcome]] = [:]
        for outcome in outcomes {
            if byQuestion[outcome.questionID] == nil { questionOrder.append(outcome.questionID) }
            byQuestion[outcome.questionID, default: []].append(outcome)
        }
        let runs = byQuestion[questionOrder[0]]!.count
        if let uneven = questionOrder.first(where: { byQuestion[$0]!.count != runs }) {
            throw InputError("question \(uneven) has \(byQuestion[uneven]!.count) runs, expected \(runs) like the others", source: "suite \(suite)")
        }
        if let k = ks.first(where: { $0 < 1 || $0 > runs }) {
            throw InputError("k = \(k) needs between 1 and \(runs) runs per question", source: "--k")
        }
        let counts = questionOrder.map { id in (samples: runs, correct: byQuestion[id]!.filter(\.exactMatch).count) }
        let total = Double(outcomes.count)
        let exact = Double(outcomes.filter(\.exactMatch).count) / total
        return SuiteSummary(
            suite: suite, questions: questionOrder.count, runs: runs,
            passAt1: exact,
            passAtK: Dictionary(uniqueKeysWithValues: ks.map { (String($0), PassAtK.mean(counts, k: $0)) }),
            exactMatch: exact,
            f1: outcomes.reduce(0) { $0 + $1.f1 } / total,
            toolCallsPerQuestion: Double(outcomes.reduce(0) { $0 + $1.toolCalls }) / total,
            formatFailureRate: Double(outcomes.filter(\.formatFailure).count) / total)
    }
}
