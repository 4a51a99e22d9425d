@testable import AEPOBenchmark
import XCTest

final class ScratchTests: XCTestCase {
    func testPrint() {
        let world = WorldGenerator(configuration: .small).generate(seed: 1)
        let pages = CorpusBuilder.pages(for: world)
        for page in pages.prefix(3) + pages.suffix(3) { print(page.title, "::", page.text) }
        for i in [30, 60, 250, 300, 350] { print(pages[i].title, "::", pages[i].text) }
        let index = PhraseIndex(pages: pages)
        let generator = QuestionGenerator(world: world, pages: index, sizes: .small)
        for suite in Suite.builtIn {
            print(suite.name, suite.compositions.count, suite.heldOut.count)
            let qs = generator.questions(for: suite, seed: 1) { _ in true }
            print("  counts", QuestionSplit.allCases.map { s in qs.filter { $0.question.split == s }.count })
            for q in qs.prefix(3) { print("  ", q.question.question, "->", q.question.answers, q.question.metadata.template ?? "") }
        }
    }
}
