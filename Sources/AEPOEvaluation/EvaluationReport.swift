import AEPOAgent
import AEPOTools
import Foundation

/// What `aepo eval` reports: the sampling settings and one summary per suite.
public struct EvaluationReport: Codable, Equatable, Sendable {
    public var model: String
    public var seed: UInt64
    public var runs: Int
    public var ks: [Int]
    /// 0 for greedy decoding.
    public var temperature: Double
    public var topP: Double
    public var suites: [SuiteSummary]

    public init(model: String, seed: UInt64, runs: Int, ks: [Int], temperature: Double, topP: Double, suites: [SuiteSummary]) {
        self.model = model
        self.seed = seed
        self.runs = runs
        self.ks = ks
        self.temperature = temperature
        self.topP = topP
        self.suites = suites
    }

    enum CodingKeys: String, CodingKey {
        case model, seed, runs, ks, temperature, suites
        case topP = "top_p"
    }

    /// One outcome per trajectory: `groups[i]` are the runs (trajectory ids) of `questions[i]`. Questions of the
    /// out-of-distribution split count as their own suite, `<suite> (ood)`.
    public static func outcomes(of groups: [[Trajectory]], questions: [Question]) -> [QuestionOutcome] {
        zip(groups, questions).flatMap { group, question in
            group.map { trajectory in
                QuestionOutcome(suite: question.split == "test-ood" ? "\(question.suite) (ood)" : question.suite, questionID: question.id, run: trajectory.id,
                                exactMatch: trajectory.reward.exactMatch, f1: trajectory.reward.f1,
                                toolCalls: trajectory.toolCalls.count, formatFailure: trajectory.reward.problem != nil)
            }
        }
    }

    /// Rows = suites; columns = Pass@1, Pass@k…, EM, F1 (percent), tool calls per question, format failures (percent).
    public var table: TextTable {
        let header = ["suite", "questions", "Pass@1"] + ks.filter { $0 != 1 }.map { "Pass@\($0)" }
            + ["EM", "F1", "tool calls", "format fail"]
        let rows = suites.map { summary in
            [summary.suite, String(summary.questions), TextTable.percent(summary.passAt1)]
                + ks.filter { $0 != 1 }.map { TextTable.percent(summary.passAtK[String($0)] ?? 0) }
                + [TextTable.percent(summary.exactMatch), TextTable.percent(summary.f1),
                   String(format: "%.2f", summary.toolCallsPerQuestion), TextTable.percent(summary.formatFailureRate)]
        }
        return TextTable(header: header, rows: rows)
    }

    /// The Markdown file: settings, then the table.
    public var markdown: String {
        let sampling = temperature == 0 ? "greedy" : "temperature \(temperature), top-p \(topP)"
        return """
        # Evaluation of `\(model)`

        \(runs) run(s) per question, \(sampling), seed \(seed). Percentages; Pass@k is the unbiased estimator over the runs.

        \(table.markdown)
        """
    }
}
