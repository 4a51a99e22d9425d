import AEPOCore

/// Bridge-comparison questions (as in 2WikiMultiHopQA): follow one relation from each of two
/// subjects, compare an attribute of the two entities reached, and answer a fact about the
/// winner ("In which city was the older of the director of X and the author of Y born?").
/// The answer sits on the winner's page, which names neither subject.
enum ComparisonComposition {
    /// A comparable attribute of a kind, the relation read from the winner, and wordings with
    /// `{a}`/`{b}` for when the larger or the smaller value wins.
    struct Comparison: Sendable {
        var kind: EntityKind
        var attribute: Attribute
        var answer: Relation
        var more: [String]
        var less: [String]
        /// How the oracle states the winner when the larger (`{w}` …) or the smaller value wins.
        var moreNote: String
        var lessNote: String
    }

    static let comparisons: [Comparison] = [
        Comparison(kind: .person, attribute: .birthYear, answer: .bornIn,
                   more: ["In which city was the younger of {a} and {b} born?", "Of {a} and {b}, where was the one born later born?"],
                   less: ["In which city was the older of {a} and {b} born?", "Of {a} and {b}, where was the one born first born?"],
                   moreNote: "{w} was born later", lessNote: "{w} was born earlier"),
        Comparison(kind: .city, attribute: .population, answer: .country,
                   more: ["In which country is the more populous of {a} and {b}?", "Of {a} and {b}, which country is the larger city in?"],
                   less: ["In which country is the less populous of {a} and {b}?", "Of {a} and {b}, which country is the smaller city in?"],
                   moreNote: "{w} is more populous", lessNote: "{w} is less populous"),
        Comparison(kind: .company, attribute: .employees, answer: .founder,
                   more: ["Who founded whichever of {a} and {b} has more employees?", "Of {a} and {b}, who founded the larger employer?"],
                   less: ["Who founded whichever of {a} and {b} has fewer employees?", "Of {a} and {b}, who founded the smaller employer?"],
                   moreNote: "{w} has more employees", lessNote: "{w} has fewer employees"),
        Comparison(kind: .company, attribute: .foundedYear, answer: .headquarters,
                   more: ["Where is the younger company of {a} and {b} headquartered?", "Of {a} and {b}, in which city is the company founded later based?"],
                   less: ["Where is the older company of {a} and {b} headquartered?", "Of {a} and {b}, in which city is the company founded first based?"],
                   moreNote: "{w} was founded later", lessNote: "{w} was founded earlier"),
        Comparison(kind: .university, attribute: .students, answer: .located,
                   more: ["In which city is the larger of {a} and {b} by students?", "Of {a} and {b}, where is the one with more students located?"],
                   less: ["In which city is the smaller of {a} and {b} by students?", "Of {a} and {b}, where is the one with fewer students located?"],
                   moreNote: "{w} has more students", lessNote: "{w} has fewer students"),
    ]

    /// Every (relation, relation, comparison, direction) in id order; ids look like `director|author>birthYear<`.
    static func all() -> [Composition] {
        var compositions: [Composition] = []
        for comparison in comparisons {
            let relations = Relation.allCases.filter { $0.target == comparison.kind && $0.source != .country }
            for (i, first) in relations.enumerated() {
                for second in relations[i...] {
                    compositions.append(make(first, second, comparison, larger: true))
                    compositions.append(make(first, second, comparison, larger: false))
                }
            }
        }
        return compositions.sorted { $0.id < $1.id }
    }

    static func make(_ first: Relation, _ second: Relation, _ comparison: Comparison, larger: Bool) -> Composition {
        let attribute = comparison.attribute
        let id = "\(first.rawValue)|\(second.rawValue)>\(attribute.rawValue)\(larger ? ">" : "<")\(comparison.answer.rawValue)"
        let wordings = larger ? comparison.more : comparison.less
        return Composition(id: id) { world, rng in
            guard let a = world.ids(of: first.source).randomElement(using: &rng),
                  let b = world.ids(of: second.source).randomElement(using: &rng), a != b else { return nil }
            let (subjectA, subjectB) = (world[a], world[b])
            let (targetA, targetB) = (world[subjectA[link: first]!], world[subjectB[link: second]!])
            guard targetA.id != targetB.id, let valueA = targetA[number: attribute], let valueB = targetB[number: attribute],
                  valueA != valueB else { return nil }
            let winner = (valueA > valueB) == larger ? targetA : targetB
            let answer = world[winner[link: comparison.answer]!].name
            let variants = (Int(rng.next() % 2), Int(rng.next() % 2), Int(rng.next() % UInt64(wordings.count)))
            let phraseA = Phrasing.fill(Phrasing.nounPhrases(first)[variants.0], first.source.mention(subjectA.name, variant: 1))
            let phraseB = Phrasing.fill(Phrasing.nounPhrases(second)[variants.1], second.source.mention(subjectB.name, variant: 1))
            let question = wordings[variants.2].replacingOccurrences(of: "{a}", with: phraseA).replacingOccurrences(of: "{b}", with: phraseB)
            let steps: [OraclePlan.Step] = [
                .lookup(OraclePlan.Lookup(first, of: subjectA, in: world)),
                .lookup(OraclePlan.Lookup(attribute, of: targetA)),
                .lookup(OraclePlan.Lookup(second, of: subjectB, in: world)),
                .lookup(OraclePlan.Lookup(attribute, of: targetB)),
                .conclude(OraclePlan.Conclusion(note: "\(valueA) vs \(valueB), so " + (larger ? comparison.moreNote : comparison.lessNote)
                    .replacingOccurrences(of: "{w}", with: winner.name) + ".", finding: winner.name)),
                .lookup(OraclePlan.Lookup(comparison.answer, of: winner, in: world)),
            ]
            return QuestionDraft(composition: id, wording: "\(variants.0).\(variants.1).\(variants.2)", question: question,
                                 answers: [answer], hops: 3, chain: [subjectA.name, targetA.name, subjectB.name, targetB.name, answer],
                                 subjects: [subjectA.name, subjectB.name],
                                 plan: OraclePlan(steps: steps, answer: answer))
        }
    }
}
