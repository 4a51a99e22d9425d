@testable import AEPOBenchmark
import AEPOTools
import XCTest

final class CorpusBuilderTests: XCTestCase {
    func testOnePagePerEntityNamingItsLinks() {
        let world = BenchmarkFixture.small.world
        let pages = BenchmarkFixture.small.pages
        XCTAssertGreaterThan(pages.count, world.entities.count, "distractor pages follow the entity pages")
        XCTAssertEqual(Set(pages.map(\.title)).count, pages.count, "titles are unique")
        for entity in world.entities {
            let page = pages[entity.id]
            XCTAssertEqual(page.title, entity.name)
            for target in entity.links.values {
                XCTAssertTrue(page.text.contains(world[target].name), "\(entity.name) names \(world[target].name)")
            }
            for (key, value) in entity.numbers { XCTAssertTrue(page.text.contains(String(value)), "\(entity.name).\(key)") }
        }
        XCTAssertTrue(pages.contains { $0.title.hasSuffix("(surname)") })
        XCTAssertTrue(pages.contains { $0.title.hasSuffix("in review") })
    }

    func testWordingVariesAcrossPagesOfOneKind() {
        let world = BenchmarkFixture.small.world
        let openings = Set(world.ids(of: .film).map { id in
            BenchmarkFixture.small.pages[id].text.replacingOccurrences(of: world[id].name, with: "X").prefix(12)
        })
        XCTAssertGreaterThan(openings.count, 1)
    }

    func testPhraseIndexMatchesWholeWordsOnly() {
        let index = PhraseIndex(pages: [Page(title: "A", text: "Oskavel Works is in Brena."), Page(title: "B", text: "Oskavelo lies north.")])
        XCTAssertEqual(index.pages(containing: "oskavel"), [0])
        XCTAssertEqual(index.pages(containing: "Oskavel Works"), [0])
        XCTAssertEqual(index.pages(containing: "Works Oskavel"), [])
        XCTAssertEqual(index.pages(containing: "lies north"), [1])
    }
}
