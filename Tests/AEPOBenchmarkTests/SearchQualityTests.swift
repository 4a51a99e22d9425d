@testable import AEPOBenchmark
import AEPOTools
import XCTest

/// Search quality beyond the oracle's own runs (which keep only queries that worked): over every
/// lookup of every kept question and every wording the oracle may use for it, the needed page is
/// in BM25's top 3 almost always, and first most of the time.
final class SearchQualityTests: XCTestCase {
    func testEveryOracleWordingFindsTheNeededPage() {
        let benchmark = BenchmarkFixture.small
        let index = BM25Index(pages: benchmark.pages)
        let titles = benchmark.pages.map(\.title)
        var queries = 0, first = 0, top3 = 0
        for question in benchmark.questions {
            guard let plan = benchmark.plans[question.id] else { continue }
            for case .lookup(let lookup) in plan.steps {
                for query in Phrasing.searchQueries(lookup.property, lookup.subject) {
                    let top = index.search(query, limit: 3).map { titles[$0.document] }
                    queries += 1
                    if top.first == lookup.page { first += 1 }
                    if top.contains(lookup.page) { top3 += 1 }
                }
            }
        }
        XCTAssertGreaterThan(queries, 1000)
        XCTAssertGreaterThan(Double(top3) / Double(queries), 0.98, "\(top3) of \(queries) in the top 3")
        XCTAssertGreaterThan(Double(first) / Double(queries), 0.95, "\(first) of \(queries) first")
    }
}
