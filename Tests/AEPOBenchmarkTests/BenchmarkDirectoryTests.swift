@testable import AEPOBenchmark
import AEPOCore
import AEPOTestSupport
import AEPOTokenizer
import AEPOTools
import XCTest

final class BenchmarkDirectoryTests: XCTestCase {
    /// Every file of a directory, by name.
    func contents(_ url: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: url.path) {
            files[name] = try Data(contentsOf: url.appendingPathComponent(name))
        }
        return files
    }

    func testSameSeedWritesIdenticalBytesAndDifferentSeedsDiffer() throws {
        let root = try Fixtures.temporaryDirectory("aepo-benchmark")
        defer { try? FileManager.default.removeItem(at: root) }
        let (a, b, c) = (root.appendingPathComponent("a"), root.appendingPathComponent("b"), root.appendingPathComponent("c"))
        try BenchmarkFixture.small.write(to: a)
        try Benchmark.generate(seed: BenchmarkFixture.seed, configuration: .small).write(to: b)
        try Benchmark.generate(seed: BenchmarkFixture.seed + 1, configuration: .small).write(to: c)
        let (filesA, filesB, filesC) = (try contents(a), try contents(b), try contents(c))
        XCTAssertEqual(Set(filesA.keys), [BenchmarkDirectory.manifestFile, BenchmarkDirectory.worldFile, BenchmarkDirectory.corpusFile,
                                          BenchmarkDirectory.questionsFile, BenchmarkDirectory.demonstrationsFile, BenchmarkDirectory.tokenizerFile])
        XCTAssertEqual(filesA, filesB)
        for name in [BenchmarkDirectory.worldFile, BenchmarkDirectory.corpusFile, BenchmarkDirectory.questionsFile, BenchmarkDirectory.tokenizerFile] {
            XCTAssertNotEqual(filesA[name], filesC[name], name)
        }
    }

    func testDirectoryRoundTrips() throws {
        let url = try Fixtures.temporaryDirectory("aepo-benchmark")
        defer { try? FileManager.default.removeItem(at: url) }
        let benchmark = BenchmarkFixture.small
        try benchmark.write(to: url)
        let loaded = try BenchmarkDirectory.load(from: url)
        XCTAssertEqual(loaded.world, benchmark.world)
        XCTAssertEqual(loaded.corpus.pages, benchmark.pages)
        XCTAssertEqual(loaded.questions, benchmark.questions)
        XCTAssertEqual(loaded.demonstrations, benchmark.demonstrations)
        XCTAssertEqual(loaded.manifest?.seed, benchmark.seed)
        XCTAssertEqual(loaded.manifest?.tokenizer, true)
        // The directory's tools use the settings it was generated with.
        let query = "\(benchmark.world.entities[0].name) population"
        XCTAssertEqual(loaded.environment.run(ToolCall(name: "search", input: query)), benchmark.environment.run(ToolCall(name: "search", input: query)))
        // The tokenizer keeps every tag whole and round-trips the demonstrations.
        let tokenizer = try Tokenizer(contentsOf: XCTUnwrap(loaded.tokenizerURL))
        for tag in BenchmarkTokenizer.specialTokens { XCTAssertEqual(tokenizer.encode(tag).count, 1, tag) }
        let text = benchmark.demonstrations[0].text
        XCTAssertEqual(try tokenizer.decode(tokenizer.encode(text)), text)
        XCTAssertLessThan(tokenizer.encode(text).count, text.utf8.count / 2, "names and words are merged into subwords")
        let report = BenchmarkStatistics(loaded).report(meanTokens: nil)
        XCTAssertTrue(report.contains("deep-3hop"), report)
        XCTAssertTrue(report.contains("person \(WorldConfiguration.small.people)"), report)
        XCTAssertTrue(report.contains("pages: \(benchmark.pages.count)"), report)
    }

    func testUserCorpusAndQuestionsNeedNoWorld() throws {
        let url = try Fixtures.temporaryDirectory("aepo-user-data")
        defer { try? FileManager.default.removeItem(at: url) }
        try "{\"title\": \"Alpha\", \"text\": \"Alpha is a town.\"}\n".write(to: url.appendingPathComponent("corpus.jsonl"), atomically: true, encoding: .utf8)
        try "{\"question\": \"What is Alpha?\", \"answers\": [\"a town\"]}\n".write(to: url.appendingPathComponent("questions.jsonl"), atomically: true, encoding: .utf8)
        let loaded = try BenchmarkDirectory.load(from: url)
        XCTAssertNil(loaded.world)
        XCTAssertEqual(loaded.questions.first?.suite, "custom")
        XCTAssertTrue(BenchmarkStatistics(loaded).report(meanTokens: nil).contains("custom"))
    }

    func testBadInputNamesFileAndLine() throws {
        let url = try Fixtures.temporaryDirectory("aepo-bad-data")
        defer { try? FileManager.default.removeItem(at: url) }
        let corpus = url.appendingPathComponent("corpus.jsonl")
        let questions = url.appendingPathComponent("questions.jsonl")
        try "{\"question\": \"Q?\", \"answers\": [\"a\"]}\n".write(to: questions, atomically: true, encoding: .utf8)

        XCTAssertThrowsError(try BenchmarkDirectory.load(from: url)) { error in
            XCTAssertTrue("\(error)".contains("missing corpus.jsonl"), "\(error)")
        }
        try "{\"title\": \"A\", \"text\": \"x\"}\n{\"title\": \"B\", \"text\": \n".write(to: corpus, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try BenchmarkDirectory.load(from: url)) { error in
            let error = error as! InputError
            XCTAssertEqual(error.source, corpus.path)
            XCTAssertEqual(error.line, 2)
        }
        try "".write(to: corpus, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try BenchmarkDirectory.load(from: url)) { error in
            XCTAssertTrue("\(error)".contains("empty"), "\(error)")
        }
        try "{\"title\": \"A\", \"text\": \"x\"}\n".write(to: corpus, atomically: true, encoding: .utf8)
        let demonstrations = url.appendingPathComponent("demonstrations.jsonl")
        let forged = Demonstration(id: "d", suite: "s", question: "Q?", answers: ["a"], style: .direct, correct: true,
                                   pieces: [.init(role: .model, text: "<think> x </think>\n<result> forged </result>\n<answer> \\boxed{a} </answer>")])
        try JSONLines.write([BenchmarkFixture.small.demonstrations[0], forged], to: demonstrations)
        XCTAssertThrowsError(try BenchmarkDirectory.load(from: url)) { error in
            let error = error as! InputError
            XCTAssertEqual(error.source, demonstrations.path)
            XCTAssertEqual(error.line, 2)
            XCTAssertTrue(error.message.contains("broken trajectory"), error.message)
        }
        try JSONLines.write([BenchmarkFixture.small.demonstrations[0]], to: demonstrations)
        let world = url.appendingPathComponent("world.json")
        try #"{"seed": 1, "entities": [{"id": 5, "kind": "city", "name": "X", "numbers": {}, "labels": {}, "links": {}}]}"#
            .write(to: world, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try BenchmarkDirectory.load(from: url)) { error in
            let error = error as! InputError
            XCTAssertEqual(error.source, world.path)
            XCTAssertTrue(error.message.contains("must have id 0"), error.message)
        }
        XCTAssertThrowsError(try BenchmarkDirectory.load(from: url.appendingPathComponent("absent"))) { error in
            XCTAssertTrue("\(error)".contains("not a directory"), "\(error)")
        }
    }

    func testBadConfigurationIsAClearError() {
        var config = BenchmarkConfiguration.small
        config.suites = ["bridge", "trivia"]
        XCTAssertThrowsError(try Benchmark.generate(seed: 1, configuration: config)) { error in
            XCTAssertTrue("\(error)".contains("unknown suite 'trivia'"), "\(error)")
        }
        config = .small
        config.world.people = 3
        XCTAssertThrowsError(try Benchmark.generate(seed: 1, configuration: config)) { error in
            XCTAssertEqual((error as? InputError)?.field, "people")
        }
        config = .small
        config.oracle.earlyStopShare = 1.5
        XCTAssertThrowsError(try Benchmark.generate(seed: 1, configuration: config))
        XCTAssertThrowsError(try BenchmarkConfiguration.preset("huge")) { error in
            XCTAssertTrue("\(error)".contains("unknown size 'huge'"), "\(error)")
        }
    }

    func testSuiteSelectionGeneratesOnlyThoseSuites() throws {
        var config = BenchmarkConfiguration.small
        config.suites = ["calc-word"]
        let benchmark = try Benchmark.generate(seed: 1, configuration: config)
        XCTAssertEqual(Set(benchmark.questions.map(\.suite)), ["calc-word"])
    }

    func testUnknownSplitNamesFileAndLine() throws {
        let url = try Fixtures.temporaryDirectory("aepo-bad-split")
        defer { try? FileManager.default.removeItem(at: url) }
        try "{\"title\": \"A\", \"text\": \"x\"}\n".write(to: url.appendingPathComponent("corpus.jsonl"), atomically: true, encoding: .utf8)
        let questions = url.appendingPathComponent("questions.jsonl")
        try """
        {"question": "Q1?", "answers": ["a"], "split": "train"}
        {"question": "Q2?", "answers": ["a"], "split": "validation"}

        """.write(to: questions, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try BenchmarkDirectory.load(from: url)) { error in
            XCTAssertEqual(error as? InputError, InputError("unknown split 'validation'; expected one of train, test, test-ood",
                                                            source: questions.path, line: 2, field: "split"))
        }
    }
}
