@testable import AEPOBenchmark
import AEPOTools
import XCTest

final class QuestionSuiteTests: XCTestCase {
    let benchmark = BenchmarkFixture.small

    func testSevenSuitesOverFourFamiliesWithEverySplitFilled() {
        XCTAssertEqual(Suite.all.map(\.name), ["lookup", "deep-3hop", "deep-4hop", "bridge", "comparison", "calc-facts", "calc-word"])
        XCTAssertEqual(Set(Suite.all.map(\.family)), Set(SuiteFamily.allCases))
        let sizes = BenchmarkConfiguration.small.questions
        for suite in Suite.all {
            XCTAssertFalse(suite.heldOut.isEmpty, suite.name)
            for split in QuestionSplit.allCases {
                let count = benchmark.questions.filter { $0.suite == suite.name && $0.split == split.rawValue }.count
                XCTAssertEqual(count, sizes.count(split), "\(suite.name) \(split)")
            }
        }
        XCTAssertEqual(Set(benchmark.questions.map(\.id)).count, benchmark.questions.count, "ids are unique")
    }

    func testHopsPerFamily() {
        for question in benchmark.questions {
            switch question.suite {
            case "lookup": XCTAssertEqual(question.hops, 1)
            case "deep-3hop": XCTAssertEqual(question.hops, 3)
            case "deep-4hop": XCTAssertEqual(question.hops, 4)
            case "bridge": XCTAssertEqual(question.hops, 2)
            case "comparison": XCTAssertEqual(question.hops, 3)
            case "calc-word": XCTAssertEqual(question.hops, 0)
            default: XCTAssertTrue((1...2).contains(question.hops), question.id)
            }
        }
    }

    func testAnswerNeverOccursInTheQuestion() {
        for question in benchmark.questions {
            for answer in question.answers {
                XCTAssertFalse(question.question.lowercased().contains(answer.lowercased()), "\(question.id): \(answer)")
            }
        }
    }

    /// Checked by a plain scan of every page (independent of `PhraseIndex`), for the multi-hop
    /// questions as the acceptance asks and for every other question that names an entity.
    func testNoPageNamesASubjectAndContainsTheAnswer() {
        func words(_ text: String) -> String {
            " " + text.lowercased().map { $0.isLetter || $0.isNumber ? $0 : " " }.split(separator: " ").joined(separator: " ") + " "
        }
        let pages = benchmark.pages.map { words($0.title + " " + $0.text) }
        var checked = 0
        let lookups = Set(Suite.all.filter(\.answersOnSubjectPage).map(\.name))
        XCTAssertEqual(lookups, ["lookup"])
        for question in benchmark.questions where question.metadata["subjects"] != nil && !lookups.contains(question.suite) {
            let subjects = question.metadata["subjects"]!.components(separatedBy: QuestionDraft.subjectSeparator)
            for page in pages where subjects.contains(where: { page.contains(words($0)) }) {
                for answer in question.answers { XCTAssertFalse(page.contains(words(answer)), "\(question.id): \(answer)") }
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 100)
        XCTAssertEqual(benchmark.questions.filter { $0.hops >= 2 && $0.metadata["subjects"] == nil }.count, 0)
    }

    func testOutOfDistributionSplitSharesNoCompositionOrTemplateWithTraining() {
        for suite in Suite.all {
            let questions = benchmark.questions.filter { $0.suite == suite.name }
            func values(_ split: QuestionSplit, _ key: String) -> Set<String> {
                Set(questions.filter { $0.split == split.rawValue }.map { $0.metadata[key]! })
            }
            XCTAssertTrue(values(.testOOD, "composition").isDisjoint(with: values(.train, "composition")), suite.name)
            XCTAssertTrue(values(.testOOD, "template").isDisjoint(with: values(.train, "template")), suite.name)
            XCTAssertTrue(values(.test, "composition").isDisjoint(with: suite.heldOut), suite.name)
            XCTAssertTrue(values(.testOOD, "composition").isSubset(of: Set(suite.heldOut)), suite.name)
        }
    }

    func testTestQuestionsAreUnseenInTraining() {
        for suite in Suite.all {
            let questions = benchmark.questions.filter { $0.suite == suite.name }
            let train = questions.filter { $0.split == "train" }
            let key = { (q: Question) in q.metadata["composition"]! + "|" + (q.metadata["subjects"] ?? q.question) }
            let trainKeys = Set(train.map(key))
            let trainTexts = Set(train.map(\.question))
            for question in questions where question.split != "train" {
                XCTAssertFalse(trainTexts.contains(question.question), question.id)
                XCTAssertFalse(trainKeys.contains(key(question)), question.id)
            }
        }
    }

    func testUnknownSuiteIsAClearError() {
        XCTAssertThrowsError(try Suite.named(["bridge", "nope"])) { error in
            XCTAssertTrue("\(error)".contains("unknown suite 'nope'"), "\(error)")
        }
        XCTAssertEqual(try Suite.named([]).count, Suite.all.count)
    }
}
