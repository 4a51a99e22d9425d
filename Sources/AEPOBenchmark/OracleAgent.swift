import Foundation
import AEPOCore
import AEPOTools

/// Writes demonstrations by solving questions with the real tools: it searches with varied
/// wordings, reads the needed fact from the `<result>` it gets back (opening the page when the
/// snippet does not show it), calls the calculator, and boxes the answer — all in the trajectory
/// format. It only states facts that a result showed; when the tools cannot show one, it gives up
/// (`nil`), and the benchmark drops the question.
struct OracleAgent {
    let environment: ToolEnvironment
    /// For wrong first moves: names one vowel apart or sharing a last name with each entity's name.
    let similarNames: [String: [String]]
    /// For guesses: the world's entities by kind, and each name's kind.
    let world: World
    let kindOfName: [String: EntityKind]

    /// Searches tried before giving up on a lookup (each with a different wording).
    static let searchesPerLookup = 3

    init(environment: ToolEnvironment, world: World) {
        self.environment = environment
        var groups: [String: [String]] = [:]
        for entity in world.entities {
            let shape = String(entity.name.lowercased().map { "aeiou".contains($0) ? "*" : $0 })
            groups["\(entity.kind.rawValue):\(shape)", default: []].append(entity.name)
            if entity.kind == .person, let last = entity.name.split(separator: " ").last {
                groups["last:\(last)", default: []].append(entity.name)
            }
        }
        var similar: [String: [String]] = [:]
        for members in groups.values where members.count > 1 {
            for name in members { similar[name, default: []] += members.filter { $0 != name } }
        }
        self.similarNames = similar.mapValues { Array(Set($0)).sorted() }
        self.world = world
        self.kindOfName = Dictionary(world.entities.map { ($0.name, $0.kind) }, uniquingKeysWith: { first, _ in first })
    }

    /// A demonstration and the searches that found each looked-up page (for search-quality checks).
    struct Run {
        var demonstration: Demonstration
        var foundBy: [(query: String, page: String)]
    }

    func run(_ question: Question, plan: OraclePlan, style requested: DemonstrationStyle, using rng: inout SeededGenerator) -> Run? {
        var transcript = Transcript(environment: environment)
        var style = requested
        var steps = plan.steps
        var answer = plan.answer
        if style == .guessed {
            if let guess = guess(plan.answer, avoiding: question.answers, using: &rng) {
                transcript.note(["No need to search; it is \(guess).", "I remember this one: \(guess).", "From memory: \(guess)."].randomElement(using: &rng)!)
                transcript.answer(guess)
                let demonstration = Demonstration(id: question.id, suite: question.suite, question: question.question, answers: question.answers,
                                                  style: .guessed, correct: false, pieces: transcript.pieces)
                return Run(demonstration: demonstration, foundBy: [])
            }
            style = .direct
        }
        // Stopping early answers with the latest earlier finding of the answer's type (a number for
        // a number, a name for a name), dropping the steps after it; without one, no early stop.
        if style == .earlyStop {
            let isNumber = { (text: String) in Int(text) != nil }
            if let last = steps.dropLast().lastIndex(where: { isNumber($0.finding) == isNumber(plan.answer) && $0.finding != plan.answer }) {
                answer = steps[last].finding
                steps.removeSubrange((last + 1)...)
            } else {
                style = .direct
            }
        }
        if style == .recovered && !wrongFirstMove(steps.first, &transcript, using: &rng) { style = .direct }
        for step in steps {
            switch step {
            case .lookup(let lookup):
                guard find(lookup, &transcript, using: &rng) else { return nil }
            case .compute(let computation):
                guard compute(computation, &transcript, using: &rng) else { return nil }
            case .conclude(let conclusion):
                transcript.note(conclusion.note)
            }
        }
        if style == .checked && !check(steps.last, &transcript, using: &rng) { style = .direct }
        transcript.note(style == .earlyStop ? "That should be it." : ["So the answer is \(answer).", "Answer: \(answer)."].randomElement(using: &rng)!)
        transcript.answer(answer)
        let demonstration = Demonstration(id: question.id, suite: question.suite, question: question.question, answers: question.answers,
                                          style: style, correct: answer == plan.answer, pieces: transcript.pieces)
        return Run(demonstration: demonstration, foundBy: transcript.foundBy)
    }

    /// A wrong answer of the answer's type that matches none of `answers`: another entity's name of
    /// the same kind for a name, a number at most a fifth away (and at least 1) for a number; nil for
    /// anything else, or when no such answer turns up in a few draws.
    func guess(_ answer: String, avoiding answers: [String], using rng: inout SeededGenerator) -> String? {
        for _ in 0..<8 {
            let candidate: String
            if let kind = kindOfName[answer], let id = world.ids(of: kind).randomElement(using: &rng) {
                candidate = world[id].name
            } else if let value = Int(answer) {
                let offset = Int.random(in: 1...max(1, abs(value) / 5), using: &rng)
                candidate = String(value - offset >= 0 && Bool.random(using: &rng) ? value - offset : value + offset)
            } else {
                return nil
            }
            if !Reward.exactMatch(candidate, answers: answers) { return candidate }
        }
        return nil
    }

    /// Finds `lookup.fact` on `lookup.page` through search results (or the page itself).
    func find(_ lookup: OraclePlan.Lookup, _ transcript: inout Transcript, using rng: inout SeededGenerator) -> Bool {
        if transcript.hasSeen(lookup.fact, on: lookup.page) {
            transcript.note(lookup.statement)
            return true
        }
        let goal = Phrasing.fill(lookup.property.nounPhrase, lookup.subject)
        transcript.note(["Need \(goal).", "Next, \(goal).", "Look up \(goal).", "Find \(goal)."].randomElement(using: &rng)!)
        var queries = Phrasing.searchQueries(lookup.property, lookup.subject)
        queries.shuffle(using: &rng)
        for query in queries.prefix(Self.searchesPerLookup) {
            let blocks = transcript.search(query)
            if transcript.hasSeen(lookup.fact, on: lookup.page, in: blocks) {
                transcript.foundBy.append((query, lookup.page))
                transcript.note(lookup.statement)
                return true
            }
            if blocks.contains(where: { $0.title == lookup.page }) {
                transcript.foundBy.append((query, lookup.page))
                transcript.note(["The snippet does not say; open the page.", "Open \(lookup.page) to read more."].randomElement(using: &rng)!)
                let text = transcript.call("open", lookup.page)
                guard PhraseIndex.contains(PhraseIndex.words(text), PhraseIndex.words(lookup.fact)) else { return false }
                transcript.note(lookup.statement)
                return true
            }
            transcript.note(["No page on \(lookup.subject) yet; try other words.", "Not found; search again."].randomElement(using: &rng)!)
        }
        return false
    }

    func compute(_ computation: OraclePlan.Computation, _ transcript: inout Transcript, using rng: inout SeededGenerator) -> Bool {
        transcript.note(["Compute \(computation.expression).", "Calculate it."].randomElement(using: &rng)!)
        let output = transcript.call("python", computation.expression)
        guard output.trimmingCharacters(in: .whitespacesAndNewlines) == computation.value else { return false }
        transcript.note("It is \(computation.value).")
        return true
    }

    /// A plausible wrong first move that the result shows to be wrong: searching a similar name
    /// (another entity's, or a misspelling), or typing the calculation with a non-Python operator.
    /// Returns false when none fits.
    func wrongFirstMove(_ first: OraclePlan.Step?, _ transcript: inout Transcript, using rng: inout SeededGenerator) -> Bool {
        switch first {
        case .lookup(let lookup):
            let goal = Phrasing.fill(lookup.property.nounPhrase, lookup.subject)
            transcript.note("Need \(goal).")
            if let other = similarNames[lookup.subject]?.randomElement(using: &rng) {
                _ = transcript.search(Phrasing.searchQueries(lookup.property, other)[0])
                transcript.note("These results are about \(other), not \(lookup.subject).")
            } else {
                let misspelled = NameForge().variant(of: lookup.subject, using: &rng)
                _ = transcript.search(Phrasing.searchQueries(lookup.property, misspelled)[0])
                transcript.note("I misspelled it: the name is \(lookup.subject), not \(misspelled).")
            }
            return true
        case .compute(let computation):
            let lookalikes = [("//", "÷"), ("*", "×"), ("-", "−")]
            guard let (ascii, typo) = lookalikes.first(where: { computation.expression.contains($0.0) }) else { return false }
            let range = computation.expression.range(of: ascii)!
            transcript.note("Compute it.")
            _ = transcript.call("python", computation.expression.replacingCharacters(in: range, with: typo))
            transcript.note("Python needs \(ascii) there.")
            return true
        case .conclude, nil:
            return false
        }
    }

    /// One extra confirming call after the last step.
    func check(_ last: OraclePlan.Step?, _ transcript: inout Transcript, using rng: inout SeededGenerator) -> Bool {
        switch last {
        case .lookup(let lookup):
            let queries = Phrasing.searchQueries(lookup.property, lookup.subject).filter { !transcript.queries.contains($0) }
            guard let query = queries.randomElement(using: &rng) else { return false }
            transcript.note("Double-check.")
            let blocks = transcript.search(query)
            transcript.note(transcript.hasSeen(lookup.fact, on: lookup.page, in: blocks) ? "Confirmed." : "Nothing contradicts it.")
            return true
        case .compute(let computation):
            transcript.note("Check the arithmetic once more.")
            let output = transcript.call("python", computation.expression.replacingOccurrences(of: " ", with: ""))
            return output.trimmingCharacters(in: .whitespacesAndNewlines) == computation.value
        case .conclude, nil:
            return false
        }
    }
}
