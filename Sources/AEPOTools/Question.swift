import AEPOCore
import Foundation

/// A question with its accepted answers: one line of a suite file or of a user's question file.
///
/// JSON Lines fields: `question` (non-empty string) and `answers` (non-empty array of non-empty
/// strings) are required; `id` (default `"<file name>:<line>"`), `suite` (default `"custom"`),
/// `split` (`train`, `test` or `test-ood`; default `"test"`), `hops` (default 0) and `metadata` (string → string, default empty)
/// are optional. Ids must be unique within a file.
public struct Question: Codable, Equatable, Sendable {
    public var id: String
    public var suite: String
    public var split: String
    public var question: String
    public var answers: [String]
    public var hops: Int
    public var metadata: [String: String]

    public init(id: String, suite: String, split: String, question: String, answers: [String], hops: Int = 0, metadata: [String: String] = [:]) {
        self.id = id
        self.suite = suite
        self.split = split
        self.question = question
        self.answers = answers
        self.hops = hops
        self.metadata = metadata
    }

    private enum CodingKeys: String, CodingKey {
        case id, suite, split, question, answers, hops, metadata
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(String.self, forKey: .id) ?? ""
        suite = try container.decodeIfPresent(String.self, forKey: .suite) ?? "custom"
        split = try container.decodeIfPresent(String.self, forKey: .split) ?? "test"
        question = try container.decode(String.self, forKey: .question)
        answers = try container.decode([String].self, forKey: .answers)
        hops = try container.decodeIfPresent(Int.self, forKey: .hops) ?? 0
        metadata = try container.decodeIfPresent([String: String].self, forKey: .metadata) ?? [:]
    }

    /// Reads a JSON Lines question file; every error names the file and line.
    public static func load(from url: URL) throws -> [Question] {
        let records = try JSONLines.readNumbered(Question.self, from: url)
        guard !records.isEmpty else {
            throw InputError("no questions: expected JSON Lines of {\"question\": …, \"answers\": [...]}", source: url.path)
        }
        var seen: [String: Int] = [:]
        return try records.map { line, record in
            var question = record
            if question.id.isEmpty { question.id = "\(url.lastPathComponent):\(line)" }
            if question.question.trimmedWhitespace.isEmpty {
                throw InputError("empty question", source: url.path, line: line, field: "question")
            }
            if question.answers.isEmpty || question.answers.contains(where: { $0.trimmedWhitespace.isEmpty }) {
                throw InputError("expected a non-empty list of non-empty answers", source: url.path, line: line, field: "answers")
            }
            if QuestionSplit(rawValue: question.split) == nil {
                throw InputError("unknown split '\(question.split)'; expected one of \(QuestionSplit.allCases.map(\.rawValue).joined(separator: ", "))",
                                 source: url.path, line: line, field: "split")
            }
            if let first = seen[question.id] {
                throw InputError("duplicate id '\(question.id)' (first on line \(first))", source: url.path, line: line, field: "id")
            }
            seen[question.id] = line
            return question
        }
    }
}
