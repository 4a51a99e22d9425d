/// A question a suite's composition proposes, before the suite checks it (answer not in the
/// question, not on the subject's pages, not a duplicate) and assigns it an id and split.
struct QuestionDraft: Sendable {
    var composition: String
    /// The wording variant, so that `composition#wording` names the template.
    var wording: String
    var question: String
    var answers: [String]
    var hops: Int
    var chain: [String]
    var subjects: [String]
    var plan: OraclePlan

    var template: String { "\(composition)#\(wording)" }
    /// Two drafts with the same key ask the same thing, however worded (questions that name no
    /// entity are told apart by their text).
    var key: String { composition + "|" + (subjects.isEmpty ? question : subjects.joined(separator: "|")) }

    /// The metadata stored with the question: template, composition, the chain of entity names
    /// (joined by ` > `) and the subjects the question names (joined by ` | `).
    var metadata: [String: String] {
        var fields = ["template": template, "composition": composition]
        if !chain.isEmpty { fields["chain"] = chain.joined(separator: QuestionDraft.chainSeparator) }
        if !subjects.isEmpty { fields["subjects"] = subjects.joined(separator: QuestionDraft.subjectSeparator) }
        return fields
    }

    static let chainSeparator = " > "
    static let subjectSeparator = " | "
}
