/// One benchmark question, as stored in `questions.jsonl`:
/// `{"id", "suite", "split", "question", "answers", "hops", "metadata"}`.
public struct Question: Codable, Equatable, Sendable {
    public var id: String
    public var suite: String
    public var split: QuestionSplit
    public var question: String
    /// Acceptable answers, the canonical one first.
    public var answers: [String]
    /// Pages that must be read in sequence to answer (0 when the question gives every number).
    public var hops: Int
    public var metadata: QuestionMetadata

    public init(id: String, suite: String, split: QuestionSplit, question: String, answers: [String], hops: Int, metadata: QuestionMetadata = QuestionMetadata()) {
        self.id = id
        self.suite = suite
        self.split = split
        self.question = question
        self.answers = answers
        self.hops = hops
        self.metadata = metadata
    }
}

/// Where a question came from. Every field is optional so that user-supplied questions need none.
public struct QuestionMetadata: Codable, Equatable, Sendable {
    /// The wording template, e.g. `film.director>bornIn#1` (composition, then wording number).
    public var template: String?
    /// The composition of relations and attribute (or arithmetic form) the question asks for.
    public var composition: String?
    /// Names of the entities along the reasoning chain, the subject first.
    public var chain: [String]?
    /// The entities the question names (whose pages must not contain the answer).
    public var subjects: [String]?

    public init(template: String? = nil, composition: String? = nil, chain: [String]? = nil, subjects: [String]? = nil) {
        self.template = template
        self.composition = composition
        self.chain = chain
        self.subjects = subjects
    }
}
