import AEPOCore

/// Chain questions: start at an entity, follow relations, read the last entity's relation or
/// attribute ("In which country is the birthplace of the director of X?"). The id spells the
/// chain, e.g. `film:director>bornIn>country`; hops = relations followed + 1.
enum ChainComposition {
    /// Every chain with `hops` steps (relations followed, then the final read), in id order.
    /// A step never goes straight back (`country` then `capital`, or the reverse).
    static func all(hops: Int) -> [Composition] {
        var paths: [(EntityKind, [Relation])] = EntityKind.allCases.map { ($0, []) }
        for _ in 0..<(hops - 1) {
            paths = paths.flatMap { start, relations in
                let kind = relations.last?.target ?? start
                return Relation.allCases.filter { $0.source == kind && !isReversal(relations.last, $0) }.map { (start, relations + [$0]) }
            }
        }
        var compositions: [Composition] = []
        for (start, relations) in paths {
            let kind = relations.last?.target ?? start
            for final in Relation.allCases where final.source == kind && !isReversal(relations.last, final) {
                compositions.append(make(start, relations, .relation(final)))
            }
            for final in Attribute.allCases where final.isNumeric && entityKind(having: final).contains(kind) {
                compositions.append(make(start, relations, .attribute(final)))
            }
        }
        return compositions.sorted { $0.id < $1.id }
    }

    static func isReversal(_ previous: Relation?, _ next: Relation) -> Bool {
        (previous == .country && next == .capital) || (previous == .capital && next == .country)
    }

    /// The kinds that carry `attribute`.
    static func entityKind(having attribute: Attribute) -> [EntityKind] {
        switch attribute {
        case .birthYear, .occupation: return [.person]
        case .population: return [.city, .country]
        case .foundedYear: return [.company, .university]
        case .employees, .industry: return [.company]
        case .releaseYear, .budget, .runtime: return [.film]
        case .publicationYear, .pages: return [.book]
        case .students: return [.university]
        }
    }

    static func make(_ start: EntityKind, _ relations: [Relation], _ final: OraclePlan.Property) -> Composition {
        let finalName: String
        switch final {
        case .relation(let relation): finalName = relation.rawValue
        case .attribute(let attribute): finalName = attribute.rawValue
        }
        let id = "\(start.rawValue):" + (relations.map(\.rawValue) + [finalName]).joined(separator: ">")
        return Composition(id: id) { world, rng in
            let candidates = world.ids(of: start)
            guard let first = candidates.randomElement(using: &rng) else { return nil }
            var entity = world[first]
            var chain = [entity.name]
            var steps: [OraclePlan.Step] = []
            var wording: [String] = []
            let mentionVariant = Int(rng.next() % 2)
            var phrase = start.mention(entity.name, variant: mentionVariant)
            wording.append("m\(mentionVariant)")
            for relation in relations {
                steps.append(.lookup(OraclePlan.Lookup(relation, of: entity, in: world)))
                let options = Phrasing.nounPhrases(relation)
                let choice = Int(rng.next() % UInt64(options.count))
                phrase = Phrasing.fill(options[choice], phrase)
                wording.append(String(choice))
                entity = world[entity[link: relation]!]
                chain.append(entity.name)
            }
            let answers: [String]
            let options: [String]
            switch final {
            case .relation(let relation):
                steps.append(.lookup(OraclePlan.Lookup(relation, of: entity, in: world)))
                let target = world[entity[link: relation]!]
                chain.append(target.name)
                answers = [target.name]
                options = Phrasing.questions(relation)
            case .attribute(let attribute):
                steps.append(.lookup(OraclePlan.Lookup(attribute, of: entity)))
                answers = Phrasing.answers(attribute, entity[number: attribute]!)
                options = Phrasing.questions(attribute)
            }
            let choice = Int(rng.next() % UInt64(options.count))
            wording.append(String(choice))
            let question = Phrasing.fill(options[choice], phrase)
            return QuestionDraft(composition: id, wording: wording.joined(separator: "."),
                                 question: Phrasing.capitalised(question),
                                 answers: answers, hops: relations.count + 1, chain: chain, subjects: [chain[0]],
                                 plan: OraclePlan(steps: steps, answer: answers[0]))
        }
    }
}
