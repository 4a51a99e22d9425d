import AEPOCore

/// A named question suite: its family and the compositions it draws questions from. A fixed
/// quarter of the compositions (every fourth in id order) is held out for the `test-ood` split.
public struct Suite: Sendable, NamedRegistry {
    public let name: String
    public let family: SuiteFamily
    public let summary: String
    let compositions: [Composition]
    /// Whether the answer may stand on the page of the entity the question names (1-hop lookups: one search away).
    public var answersOnSubjectPage: Bool { family == .singleHopQA }

    /// Ids of the compositions only `test-ood` uses.
    public var heldOut: [String] { compositions.enumerated().filter { Self.isHeldOut($0.offset) }.map(\.element.id) }

    static func isHeldOut(_ index: Int) -> Bool { index % 4 == 3 }

    /// The seven built-in suites, in report order.
    public static let all: [Suite] = [
        Suite(name: "lookup", family: .singleHopQA, summary: "1-hop questions: one relation or attribute of a named entity",
              compositions: ChainComposition.all(hops: 1)),
        Suite(name: "deep-3hop", family: .deepSearch, summary: "3-hop chains of relations ending in a name or a number",
              compositions: ChainComposition.all(hops: 3)),
        Suite(name: "deep-4hop", family: .deepSearch, summary: "4-hop chains of relations ending in a name or a number",
              compositions: ChainComposition.all(hops: 4)),
        Suite(name: "bridge", family: .multiHopQA, summary: "2-hop bridge questions: a relation, then a relation or attribute",
              compositions: ChainComposition.all(hops: 2)),
        Suite(name: "comparison", family: .multiHopQA, summary: "compare an attribute of two bridged entities; answer the winner",
              compositions: ComparisonComposition.all()),
        Suite(name: "calc-facts", family: .computation, summary: "arithmetic over retrieved facts: sums, year gaps, ages, scaling",
              compositions: CalculationComposition.all()),
        Suite(name: "calc-word", family: .computation, summary: "word problems with every number given; needs the calculator",
              compositions: WordProblem.all()),
    ]

    public static let noun = "suite"

    /// The built-in suites named in `names` (all when empty), or an error naming the unknown one and `source`.
    public static func named(_ names: [String], source: String = "--suites") throws -> [Suite] {
        names.isEmpty ? all : try names.map { try named($0, source: source) }
    }
}
