/// How the oracle answers one question: the facts to look up, in order, the calculations, and
/// the answer. Built together with the question, from the world.
struct OraclePlan: Sendable, Equatable {
    enum Step: Sendable, Equatable {
        case lookup(Lookup)
        case compute(Computation)
        /// A conclusion drawn from facts already found (no tool call), e.g. which of two is older.
        case conclude(Conclusion)

        /// What the step finds: the looked-up fact, the computed value or the concluded entity.
        var finding: String {
            switch self {
            case .lookup(let lookup): return lookup.fact
            case .compute(let computation): return computation.value
            case .conclude(let conclusion): return conclusion.finding
            }
        }
    }

    /// A note stating the conclusion, and the entity it singles out.
    struct Conclusion: Sendable, Equatable {
        var note: String
        var finding: String
    }

    /// Find `fact` (a name or number, as the page writes it) on the page titled `page`, which is
    /// about `subject`; `property` is the relation or attribute being read.
    struct Lookup: Sendable, Equatable {
        var subject: String
        var property: Property
        var page: String
        var fact: String
        /// The oracle's note once the fact is found, e.g. "X was directed by D."
        var statement: String
    }

    /// Evaluate `expression` with the calculator; the result must print as `value`.
    struct Computation: Sendable, Equatable {
        var expression: String
        var value: String
    }

    /// What a lookup reads: a relation (a name) or an attribute (a number).
    enum Property: Sendable, Equatable {
        case relation(Relation)
        case attribute(Attribute)

        var nounPhrase: String {
            switch self {
            case .relation(let relation): return Phrasing.nounPhrases(relation)[0]
            case .attribute(let attribute): return Phrasing.nounPhrase(attribute)
            }
        }
    }

    var steps: [Step]
    /// The canonical answer the oracle boxes.
    var answer: String
}

extension OraclePlan.Lookup {
    /// The lookup that reads `relation` from `entity`.
    init(_ relation: Relation, of entity: Entity, in world: World) {
        let target = world[entity[link: relation]!].name
        self.init(subject: entity.name, property: .relation(relation), page: entity.name, fact: target,
                  statement: Phrasing.statement(relation, entity.name, target))
    }

    /// The lookup that reads the numeric `attribute` of `entity`.
    init(_ attribute: Attribute, of entity: Entity) {
        let value = String(entity[number: attribute]!)
        self.init(subject: entity.name, property: .attribute(attribute), page: entity.name, fact: value,
                  statement: Phrasing.statement(attribute, entity.name, value))
    }
}
