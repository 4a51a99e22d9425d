import AEPOCore

/// Arithmetic word problems whose numbers are all in the question (the GSM8K-style family):
/// no search, one calculator call. Each template draws its numbers so that the answer is a
/// whole number that differs from every number in the question.
enum WordProblem {
    /// A problem form: wordings with `{a}`, `{b}`, `{c}`, the numbers drawn for them (uniform in
    /// `ranges`, then adjusted by `adjust`), the expression the oracle types and its value (nil when
    /// the draw does not give a whole answer).
    struct Template: Sendable {
        var id: String
        var wordings: [String]
        var ranges: [ClosedRange<Int>]
        var adjust: @Sendable ([Int], inout SeededGenerator) -> [Int] = { numbers, _ in numbers }
        var expression: @Sendable ([Int]) -> String
        var value: @Sendable ([Int]) -> Int?
    }

    static let templates: [Template] = [
        Template(id: "crates", wordings: ["A warehouse holds {a} crates with {b} jars in each. How many jars are in the warehouse?",
                                          "There are {a} crates, each packed with {b} jars. How many jars are there altogether?"],
                 ranges: [120...980, 12...96], expression: { "\($0[0]) * \($0[1])" }, value: { $0[0] * $0[1] }),
        Template(id: "journey", wordings: ["A train covers {a} kilometres a day for {b} days, then {c} kilometres more. How far does it travel in total?",
                                           "A ship sails {a} kilometres daily for {b} days and a final {c} kilometres. What distance does it cover?"],
                 ranges: [140...880, 3...29, 11...499], expression: { "\($0[0]) * \($0[1]) + \($0[2])" }, value: { $0[0] * $0[1] + $0[2] }),
        Template(id: "library", wordings: ["A library owns {a} books, lends out {b} and buys {c} new ones. How many books does it have on its shelves now?",
                                           "A shop has {a} items in stock, sells {b} and receives {c} more. How many items are in stock now?"],
                 ranges: [1200...9800, 100...1100, 50...900], expression: { "\($0[0]) - \($0[1]) + \($0[2])" }, value: { $0[0] - $0[1] + $0[2] }),
        Template(id: "boxes", wordings: ["A farm harvests {a} kilograms of apples and packs them in boxes of {b} kilograms. How many boxes can it fill completely?",
                                         "A mill grinds {a} kilograms of flour into sacks of {b} kilograms. How many full sacks does it make?"],
                 ranges: [1500...99000, 12...75], expression: { "\($0[0]) // \($0[1])" }, value: { $0[0] / $0[1] }),
        Template(id: "shifts", wordings: ["A factory makes {a} parts an hour. How many parts does it make in {b} hours a day over {c} days?",
                                          "A press prints {a} pages an hour, {b} hours a day, for {c} days. How many pages does it print?"],
                 ranges: [45...640, 6...12, 3...28], expression: { "\($0[0]) * \($0[1]) * \($0[2])" }, value: { $0[0] * $0[1] * $0[2] }),
        Template(id: "change", wordings: ["A ticket costs {a} coins. A group buys {b} tickets and pays with {c} coins. How much change does the group get?",
                                          "Each lamp costs {a} coins; a hotel buys {b} lamps and pays {c} coins. How many coins come back as change?"],
                 ranges: [17...240, 4...38, 0...4],
                 // Paid with a round sum: the next hundred above the price plus up to 400.
                 adjust: { n, _ in [n[0], n[1], (n[0] * n[1] / 100 + 1 + n[2]) * 100] },
                 expression: { "\($0[2]) - \($0[0]) * \($0[1])" }, value: { $0[2] - $0[0] * $0[1] }),
        Template(id: "growth", wordings: ["A town of {a} residents grows by {b} percent. How many residents does it have after the growth?",
                                          "A club with {a} members gains {b} percent more members. How many members does it have now?"],
                 ranges: [12...980, 3...45], adjust: { n, _ in [n[0] * 100, n[1]] },
                 expression: { "\($0[0]) + \($0[0]) * \($0[1]) // 100" }, value: { $0[0] + $0[0] * $0[1] / 100 }),
        Template(id: "average", wordings: ["Three stores sell {a}, {b} and {c} lamps. How many lamps does a store sell on average?",
                                           "Three teams score {a}, {b} and {c} points. What is the average score per team?"],
                 ranges: [100...990, 100...990, 100...990], expression: { "(\($0[0]) + \($0[1]) + \($0[2])) // 3" },
                 value: { ($0[0] + $0[1] + $0[2]) % 3 == 0 ? ($0[0] + $0[1] + $0[2]) / 3 : nil }),
    ]

    static func all() -> [Composition] {
        templates.map { template in
            Composition(id: "word:\(template.id)") { _, rng in
                let numbers = template.adjust(template.ranges.map { Int.random(in: $0, using: &rng) }, &rng)
                guard let value = template.value(numbers) else { return nil }
                let choice = Int(rng.next() % UInt64(template.wordings.count))
                var question = template.wordings[choice]
                for (key, number) in zip(["{a}", "{b}", "{c}"], numbers) {
                    question = question.replacingOccurrences(of: key, with: String(number))
                }
                let expression = template.expression(numbers)
                let steps: [OraclePlan.Step] = [.compute(OraclePlan.Computation(expression: expression, value: String(value)))]
                return QuestionDraft(composition: "word:\(template.id)", wording: String(choice), question: question,
                                     answers: Phrasing.numberAnswers(value), hops: 0, chain: [], subjects: [],
                                     plan: OraclePlan(steps: steps, answer: String(value)))
            }
        }
    }
}
