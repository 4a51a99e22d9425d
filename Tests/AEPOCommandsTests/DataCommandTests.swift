@testable import AEPOCommands
import AEPOCore
import AEPOTestSupport
import Foundation
import XCTest

/// `aepo data generate` and `aepo data show`, run in-process on the small preset.
final class DataCommandTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try Fixtures.temporaryDirectory("data-command")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func testGenerateThenShow() throws {
        let out = directory.appendingPathComponent("bench").path
        let report = try DataGenerate.parse(["--out", out, "--seed", "3", "--size", "small", "--train", "6", "--test", "2", "--test-ood", "2",
                                             "--suites", "bridge,calc-word"]).output()
        XCTAssertTrue(report.contains("bridge"), report)
        XCTAssertFalse(report.contains("deep-3hop"), report)
        XCTAssertFalse(report.contains("warning"), report)
        for file in ["benchmark.json", "world.json", "corpus.jsonl", "questions.jsonl", "demonstrations.jsonl", "tokenizer.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + file), file)
        }
        let shown = try DataShow.parse([out, "--samples", "1", "--suite", "bridge"]).output()
        XCTAssertTrue(shown.contains("== bridge"), shown)
        XCTAssertFalse(shown.contains("== calc-word"), shown)
        XCTAssertTrue(shown.contains("<answer> \\boxed{"), shown)
        XCTAssertTrue(shown.contains("tokens"), shown)
        XCTAssertThrowsError(try DataShow.parse([out, "--suite", "trivia"]).output()) { error in
            XCTAssertEqual("\(error)", "--suite: unknown suite 'trivia'; this directory has: bridge, calc-word")
        }
    }

    func testTooSmallAWorldIsReported() throws {
        let out = directory.appendingPathComponent("tiny").path
        let report = try DataGenerate.parse(["--out", out, "--size", "small", "--suites", "bridge", "--train", "300", "--people", "20",
                                             "--cities", "4", "--countries", "2", "--companies", "8", "--films", "4", "--books", "4",
                                             "--universities", "2", "--vocabulary-size", "0"]).output()
        XCTAssertTrue(report.contains("warning: bridge train has "), report)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/tokenizer.json"))
    }

    func testBadOptionsAndInputsAreClearErrors() throws {
        let out = directory.appendingPathComponent("bench").path
        XCTAssertThrowsError(try DataGenerate.parse(["--out", out, "--size", "small", "--suites", "bridge,trivia"]).output()) { error in
            XCTAssertTrue("\(error)".contains("unknown suite 'trivia'"), "\(error)")
        }
        XCTAssertThrowsError(try DataGenerate.parse(["--out", out, "--size", "tiny"]).output()) { error in
            XCTAssertEqual("\(error)", "--size: unknown size 'tiny'; expected small, default or large")
        }
        XCTAssertThrowsError(try DataGenerate.parse(["--out", out, "--size", "small", "--people", "2"]).output()) { error in
            XCTAssertTrue("\(error)".contains("field 'people': must be at least 20"), "\(error)")
        }
        let user = directory.appendingPathComponent("user")
        try FileManager.default.createDirectory(at: user, withIntermediateDirectories: true)
        try "{\"title\": \"A\", \"text\": \"x\"}\n".write(to: user.appendingPathComponent("corpus.jsonl"), atomically: true, encoding: .utf8)
        try "{\"question\": \"Q?\", \"answers\": [\"a\"]}\n{\"question\": 3}\n".write(to: user.appendingPathComponent("questions.jsonl"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try DataShow.parse([user.path]).output()) { error in
            XCTAssertTrue("\(error)".hasPrefix(user.appendingPathComponent("questions.jsonl").path + ":2:"), "\(error)")
        }
        try "".write(to: user.appendingPathComponent("corpus.jsonl"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try DataShow.parse([user.path]).output()) { error in
            XCTAssertTrue("\(error)".contains("the corpus is empty"), "\(error)")
        }
    }
}
