import AEPOCore
import Foundation
import XCTest
@testable import AEPOTools

final class CorpusToolsTests: XCTestCase {
    func makeCorpus() throws -> Corpus {
        try Corpus(pages: [
            Page(title: "Mira Talven", text: "Mira Talven is a chemist. She was born in Orsk in 1961. She founded Talven Labs."),
            Page(title: "Talven Labs", text: "Talven Labs is a company headquartered in Brevik. It was founded by Mira Talven in 1990."),
            Page(title: "Orsk", text: "Orsk is a city on the river Vel. Its population is 120,000."),
            Page(title: "Brevik", text: String(repeating: "Brevik is a port town with many old houses and a long harbour. ", count: 20)
                    + "The mayor of Brevik is Anton Hale."),
        ])
    }

    func testSearchFormatsTopPages() throws {
        let search = SearchTool(corpus: try makeCorpus(), topK: 2)
        let output = search.call("  Talven Labs founded  ")
        let blocks = output.components(separatedBy: "\n\n")
        XCTAssertEqual(blocks.count, 2)
        XCTAssertTrue(blocks[0].hasPrefix("Page 1: Talven Labs\nTalven Labs is a company"), output)
        XCTAssertTrue(blocks[1].hasPrefix("Page 2: Mira Talven\n"), output)
        XCTAssertEqual(search.name, "search")
        XCTAssertEqual(search.kind, .search)
    }

    func testSnippetIsTheRelevantWindow() throws {
        let search = SearchTool(corpus: try makeCorpus(), topK: 1, snippetWords: 12, snippetCharacters: 200)
        let output = search.call("mayor of Brevik")
        XCTAssertTrue(output.hasPrefix("Page 1: Brevik\n..."), output)
        XCTAssertTrue(output.hasSuffix("The mayor of Brevik is Anton Hale."), output)
        XCTAssertLessThanOrEqual(output.count - "Page 1: Brevik\n".count, 200)
        let tight = SearchTool(corpus: try makeCorpus(), topK: 1, snippetWords: 200, snippetCharacters: 40)
        let snippet = tight.snippet(of: try makeCorpus().pages[3].text, for: "harbour")
        XCTAssertLessThanOrEqual(snippet.count, 40)
        XCTAssertTrue(snippet.hasSuffix("..."))
    }

    func testSnippetsStayOnOneLine() throws {
        let corpus = try Corpus(pages: [Page(title: "Vel\nRiver", text: "The Vel is a river.\n\nIt flows\tthrough   Orsk.\n")])
        XCTAssertEqual(SearchTool(corpus: corpus).call("Vel Orsk"), "Page 1: Vel River\nThe Vel is a river. It flows through Orsk.")
        XCTAssertEqual(PageReaderTool(corpus: corpus).call("Vel River"), "Vel\nRiver\n" + corpus.pages[0].text)
    }

    func testSearchErrors() throws {
        let search = SearchTool(corpus: try makeCorpus())
        XCTAssertEqual(search.call("   "), "Error: empty search query.")
        XCTAssertEqual(search.call("zzz qqq"), "No results found for 'zzz qqq'.")
        XCTAssertTrue(search.call(String(repeating: "a", count: 10_000)).hasPrefix("Error: search query too long (10000 characters"))
    }

    func testPageReader() throws {
        let corpus = try makeCorpus()
        let reader = PageReaderTool(corpus: corpus, maxCharacters: 100)
        XCTAssertEqual(reader.call("Orsk"), "Orsk\nOrsk is a city on the river Vel. Its population is 120,000.")
        XCTAssertEqual(reader.call("  mira   TALVEN \n"), "Mira Talven\n" + corpus.pages[0].text)
        XCTAssertEqual(reader.call("Talven"), "Error: no page titled 'Talven'. Closest titles: Talven Labs; Mira Talven.")
        let long = reader.call("Brevik")
        XCTAssertTrue(long.hasPrefix("Brevik\nBrevik is a port town"))
        XCTAssertTrue(long.hasSuffix("\n[... truncated: showing 100 of \(("Brevik\n" + corpus.pages[3].text).count) characters]"))
        XCTAssertEqual(reader.call(""), "Error: give the title of the page to open.")
        XCTAssertTrue(reader.call(String(repeating: "x", count: 5000)).hasPrefix("Error: page title too long"))
        XCTAssertEqual(reader.name, "open")
        XCTAssertEqual(reader.kind, .search)
    }

    func testExactTitleWinsOverLooseMatch() throws {
        let corpus = try Corpus(pages: [Page(title: "paris", text: "lower"), Page(title: "Paris", text: "upper")])
        XCTAssertEqual(corpus.page(titled: "Paris")?.text, "upper")
        XCTAssertEqual(corpus.page(titled: "paris")?.text, "lower")
        XCTAssertEqual(corpus.page(titled: "PARIS")?.text, "lower")
    }

    func testCorpusValidation() throws {
        XCTAssertThrowsError(try Corpus(pages: [])) { error in
            XCTAssertTrue("\(error)".contains("the corpus is empty"), "\(error)")
        }
        XCTAssertThrowsError(try Corpus(pages: [Page(title: "A", text: "x"), Page(title: "A", text: "y")])) { error in
            XCTAssertTrue("\(error)".contains("duplicate title 'A' (page 2 repeats page 1)"), "\(error)")
        }
    }

    func testLoadingCorpusFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aepo-tools-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("good.jsonl")
        try "{\"title\": \"A\", \"text\": \"alpha\"}\n\n{\"title\": \"B\", \"text\": \"beta\"}\n".write(to: good, atomically: true, encoding: .utf8)
        XCTAssertEqual(try Corpus.load(from: good).pages.map(\.title), ["A", "B"])

        func error(_ contents: String) -> String {
            let url = directory.appendingPathComponent("bad.jsonl")
            try? contents.write(to: url, atomically: true, encoding: .utf8)
            do {
                _ = try Corpus.load(from: url)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        let bad = directory.appendingPathComponent("bad.jsonl").path
        XCTAssertEqual(error("{\"title\": \"A\", \"text\": \"x\"}\n{\"title\": \"B\"}\n"), "\(bad):2: missing field 'text'")
        XCTAssertEqual(error("{\"title\": \"A\", \"text\": \"x\"}\n\n{not json\n"), "\(bad):3: malformed JSON")
        XCTAssertEqual(error("{\"title\": \"A\", \"text\": \"x\"}\n\n{\"title\": \"A\", \"text\": \"y\"}\n"),
                       "\(bad):3: field 'title': duplicate title 'A' (line 3 repeats line 1); titles must be unique")
        XCTAssertEqual(error("{\"title\": \"  \", \"text\": \"x\"}\n"), "\(bad):1: field 'title': empty title")
        XCTAssertTrue(error("\n\n").hasSuffix("the corpus is empty: expected at least one page {\"title\": …, \"text\": …}"))
    }

    func testLoadingQuestionFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aepo-questions-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("q.jsonl")
        try """
        {"question": "Where was Mira Talven born?", "answers": ["Orsk"]}
        {"id": "x7", "suite": "mine", "split": "train", "question": "Q?", "answers": ["a", "b"], "hops": 2, "metadata": {"k": "v"}}
        """.write(to: url, atomically: true, encoding: .utf8)
        let questions = try Question.load(from: url)
        XCTAssertEqual(questions[0], Question(id: "q.jsonl:1", suite: "custom", split: "test", question: "Where was Mira Talven born?", answers: ["Orsk"]))
        XCTAssertEqual(questions[1], Question(id: "x7", suite: "mine", split: "train", question: "Q?", answers: ["a", "b"], hops: 2, metadata: ["k": "v"]))

        func error(_ contents: String) -> String {
            try? contents.write(to: url, atomically: true, encoding: .utf8)
            do {
                _ = try Question.load(from: url)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(error("{\"question\": \"Q\", \"answers\": []}"), "\(url.path):1: field 'answers': expected a non-empty list of non-empty answers")
        XCTAssertEqual(error("{\"question\": \"Q\", \"answers\": [\"a\"]}\n{\"question\": \"Q\"}"), "\(url.path):2: missing field 'answers'")
        XCTAssertEqual(error("{\"question\": \"\", \"answers\": [\"a\"]}"), "\(url.path):1: field 'question': empty question")
        XCTAssertEqual(error("{\"id\": \"a\", \"question\": \"Q\", \"answers\": [\"a\"]}\n{\"id\": \"a\", \"question\": \"Q\", \"answers\": [\"a\"]}"),
                       "\(url.path):2: field 'id': duplicate id 'a' (first on line 1)")
        XCTAssertEqual(error(""), "\(url.path): no questions: expected JSON Lines of {\"question\": …, \"answers\": [...]}")
    }
}
