import AEPOCore

/// Arithmetic over retrieved facts: sums of two entities' attributes, gaps between two years,
/// a person's age at an event, and a fact scaled or divided by a number the question gives.
/// The answer comes from the calculator; the question never states it.
enum CalculationComposition {
    static func all() -> [Composition] {
        var compositions: [Composition] = []
        for attribute in [Attribute.employees, .population, .students, .pages, .budget, .runtime] {
            compositions.append(sum(attribute))
        }
        let events: [Attribute] = [.foundedYear, .releaseYear, .publicationYear]
        for (i, first) in events.enumerated() {
            for second in events[i...] { compositions.append(gap(first, second)) }
        }
        compositions += [age(.director, .releaseYear, event: "{x} was released"),
                         age(.author, .publicationYear, event: "{x} was published"),
                         age(.founder, .foundedYear, event: "{x} was founded")]
        compositions += [scaled(.runtime, ["How many minutes does it take to watch {x} {k} times in a row?",
                                           "If {x} is screened {k} times back to back, how many minutes does that take?"],
                                multiplier: 2...9, divide: false),
                         scaled(.employees, ["If the employees of {x} were split into teams of {k}, how many full teams would there be?",
                                             "How many complete teams of {k} can be formed from the employees of {x}?"],
                                multiplier: 3...40, divide: true),
                         scaled(.pages, ["Reading {k} pages a day, how many full days does it take to read {x}?",
                                         "How many full days does {x} take to read at {k} pages per day?"],
                                multiplier: 7...60, divide: true)]
        return compositions.sorted { $0.id < $1.id }
    }

    /// An entity of a kind that carries `attribute` (cities, not countries, for population).
    static func randomEntity(_ world: World, _ attribute: Attribute, using rng: inout SeededGenerator) -> Entity? {
        let kind = ChainComposition.entityKind(having: attribute)[0]
        return world.ids(of: kind).randomElement(using: &rng).map { world[$0] }
    }

    static func sum(_ attribute: Attribute) -> Composition {
        let id = "sum:\(attribute.rawValue)"
        return Composition(id: id) { world, rng in
            guard let a = randomEntity(world, attribute, using: &rng), let b = randomEntity(world, attribute, using: &rng),
                  a.id != b.id else { return nil }
            let (x, y) = (a[number: attribute]!, b[number: attribute]!)
            let noun = Phrasing.nounPhrase(attribute)
            let wordings = ["What is {p} plus {q}?", "What do {p} and {q} add up to?"]
            let choice = Int(rng.next() % 2)
            let question = wordings[choice].replacingOccurrences(of: "{p}", with: Phrasing.fill(noun, a.name))
                .replacingOccurrences(of: "{q}", with: Phrasing.fill(noun, b.name))
            let answers = Phrasing.answers(attribute, x + y)
            let steps: [OraclePlan.Step] = [.lookup(OraclePlan.Lookup(attribute, of: a)), .lookup(OraclePlan.Lookup(attribute, of: b)),
                                            .compute(OraclePlan.Computation(expression: "\(x) + \(y)", value: String(x + y)))]
            return QuestionDraft(composition: id, wording: String(choice), question: Phrasing.capitalised(question), answers: answers, hops: 1,
                                 chain: [a.name, b.name], subjects: [a.name, b.name],
                                 plan: OraclePlan(steps: steps, answer: answers[0]))
        }
    }

    static func gap(_ first: Attribute, _ second: Attribute) -> Composition {
        let id = "gap:\(first.rawValue)|\(second.rawValue)"
        return Composition(id: id) { world, rng in
            guard let a = randomEntity(world, first, using: &rng), let b = randomEntity(world, second, using: &rng),
                  a.id != b.id else { return nil }
            let (x, y) = (a[number: first]!, b[number: second]!)
            guard x != y else { return nil }
            let wordings = ["How many years lie between {p} and {q}?", "What is the difference in years between {p} and {q}?"]
            let choice = Int(rng.next() % 2)
            let question = wordings[choice].replacingOccurrences(of: "{p}", with: Phrasing.fill(Phrasing.nounPhrase(first), a.name))
                .replacingOccurrences(of: "{q}", with: Phrasing.fill(Phrasing.nounPhrase(second), b.name))
            let value = abs(x - y)
            let steps: [OraclePlan.Step] = [.lookup(OraclePlan.Lookup(first, of: a)), .lookup(OraclePlan.Lookup(second, of: b)),
                                            .compute(OraclePlan.Computation(expression: "\(max(x, y)) - \(min(x, y))", value: String(value)))]
            return QuestionDraft(composition: id, wording: String(choice), question: question, answers: [String(value)], hops: 1,
                                 chain: [a.name, b.name], subjects: [a.name, b.name],
                                 plan: OraclePlan(steps: steps, answer: String(value)))
        }
    }

    /// "How old was the director of X when X was released?": event year minus birth year (2 hops).
    static func age(_ relation: Relation, _ attribute: Attribute, event: String) -> Composition {
        let id = "age:\(relation.rawValue)>\(attribute.rawValue)"
        return Composition(id: id) { world, rng in
            guard let subject = world.ids(of: relation.source).randomElement(using: &rng).map({ world[$0] }) else { return nil }
            let person = world[subject[link: relation]!]
            let (year, born) = (subject[number: attribute]!, person[number: .birthYear]!)
            let choice = Int(rng.next() % 2)
            let mention = relation.source.mention(subject.name, variant: 1)
            let who = Phrasing.fill(Phrasing.nounPhrases(relation)[choice], mention)
            let wordings = ["How old was {p} when {e}?", "What age was {p} in the year {e}?"]
            let wording = Int(rng.next() % 2)
            let question = wordings[wording].replacingOccurrences(of: "{p}", with: who)
                .replacingOccurrences(of: "{e}", with: Phrasing.fill(event, mention))
            let steps: [OraclePlan.Step] = [.lookup(OraclePlan.Lookup(attribute, of: subject)),
                                            .lookup(OraclePlan.Lookup(relation, of: subject, in: world)),
                                            .lookup(OraclePlan.Lookup(.birthYear, of: person)),
                                            .compute(OraclePlan.Computation(expression: "\(year) - \(born)", value: String(year - born)))]
            return QuestionDraft(composition: id, wording: "\(choice).\(wording)", question: Phrasing.capitalised(question), answers: [String(year - born)],
                                 hops: 2, chain: [subject.name, person.name], subjects: [subject.name],
                                 plan: OraclePlan(steps: steps, answer: String(year - born)))
        }
    }

    /// A fact times `k` (or floor-divided by `k`), `k` given in the question.
    static func scaled(_ attribute: Attribute, _ wordings: [String], multiplier: ClosedRange<Int>, divide: Bool) -> Composition {
        let id = "\(divide ? "per" : "times"):\(attribute.rawValue)"
        return Composition(id: id) { world, rng in
            guard let entity = randomEntity(world, attribute, using: &rng) else { return nil }
            let k = Int.random(in: multiplier, using: &rng)
            let x = entity[number: attribute]!
            guard !divide || x >= k else { return nil }
            let value = divide ? x / k : x * k
            let choice = Int(rng.next() % UInt64(wordings.count))
            let question = wordings[choice].replacingOccurrences(of: "{x}", with: entity.kind.mention(entity.name, variant: 0))
                .replacingOccurrences(of: "{k}", with: String(k))
            let expression = divide ? "\(x) // \(k)" : "\(x) * \(k)"
            let steps: [OraclePlan.Step] = [.lookup(OraclePlan.Lookup(attribute, of: entity)),
                                            .compute(OraclePlan.Computation(expression: expression, value: String(value)))]
            return QuestionDraft(composition: id, wording: String(choice), question: Phrasing.capitalised(question),
                                 answers: Phrasing.numberAnswers(value), hops: 1, chain: [entity.name], subjects: [entity.name],
                                 plan: OraclePlan(steps: steps, answer: String(value)))
        }
    }
}
