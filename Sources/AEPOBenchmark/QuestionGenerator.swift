import AEPOCore
import AEPOTools

/// A question with the plan the oracle follows to answer it and its draft's key.
struct PlannedQuestion: Sendable {
    var question: Question
    var plan: OraclePlan
    var key: String
}

/// Draws each suite's questions from its compositions and keeps only those that need the tools:
/// - no answer occurs in the question (case-insensitive);
/// - no page naming one of the question's entities contains an answer (so every question needs
///   at least one more page, or the calculator) — except in suites whose answer is on the
///   subject's page by design (`Suite.answersOnSubjectPage`, the 1-hop lookups);
/// - no two questions of a suite ask the same thing (same composition and subjects);
/// - `accept` (the oracle solving it with the real tools) holds.
/// `train` and `test` share the in-distribution compositions; `test-ood` uses only held-out ones.
struct QuestionGenerator {
    var world: World
    var pages: PhraseIndex
    var sizes: SuiteSizes

    /// How many drafts to try per question wanted before giving up on filling a split.
    static let attemptsPerQuestion = 40

    func questions(for suite: Suite, seed: UInt64, accept: (QuestionDraft) -> Bool) -> [PlannedQuestion] {
        var rng = SeededGenerator(seed: seed).derived(stream: Self.stream(for: suite.name))
        var keys: Set<String> = []
        var texts: Set<String> = []
        func draw(_ compositions: [Composition], _ count: Int) -> [QuestionDraft] {
            var drafts: [QuestionDraft] = []
            var attempt = 0
            while drafts.count < count && attempt < count * Self.attemptsPerQuestion && !compositions.isEmpty {
                let composition = compositions[attempt % compositions.count]
                attempt += 1
                guard let draft = composition.make(world, &rng), !keys.contains(draft.key), !texts.contains(draft.question),
                      isValid(draft, answerMayBeOnSubjectPage: suite.answersOnSubjectPage), accept(draft) else { continue }
                keys.insert(draft.key)
                texts.insert(draft.question)
                drafts.append(draft)
            }
            return drafts
        }
        let held = Set(suite.heldOut)
        let ood = draw(suite.compositions.filter { held.contains($0.id) }, sizes.testOOD)
        var inDistribution = draw(suite.compositions.filter { !held.contains($0.id) }, sizes.train + sizes.test)
        inDistribution.shuffle(using: &rng)
        let test = Array(inDistribution.prefix(sizes.test))
        let train = Array(inDistribution.dropFirst(sizes.test))
        var result: [PlannedQuestion] = []
        for (split, drafts) in [(QuestionSplit.train, train), (.test, test), (.testOOD, ood)] {
            for (index, draft) in drafts.enumerated() {
                let id = "\(suite.name)-\(split.rawValue)-\(String(index).leftPadded(to: 5))"
                let question = Question(id: id, suite: suite.name, split: split.rawValue, question: draft.question, answers: draft.answers,
                                        hops: draft.hops, metadata: draft.metadata)
                result.append(PlannedQuestion(question: question, plan: draft.plan, key: draft.key))
            }
        }
        return result
    }

    /// The leakage rules (see the type's documentation).
    func isValid(_ draft: QuestionDraft, answerMayBeOnSubjectPage: Bool = false) -> Bool {
        let question = draft.question.lowercased()
        if draft.answers.contains(where: { question.contains($0.lowercased()) }) { return false }
        for subject in draft.subjects where !answerMayBeOnSubjectPage {
            for page in pages.pages(containing: subject) where draft.answers.contains(where: { pages.page(page, contains: $0) }) {
                return false
            }
        }
        return true
    }

    /// A stable stream number per suite name (FNV-1a), independent of the suite's position.
    static func stream(for name: String) -> UInt64 {
        FNV1a.hash(name)
    }
}

extension String {
    /// The string with zeros in front up to `width` characters.
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
