@testable import AEPOCommands
import AEPOCore
import AEPOTestSupport
import Foundation
import XCTest

final class InspectLogitsTests: XCTestCase {
    struct Printed: Decodable {
        var logits: [[[Float]]]
        var loss: Double
    }

    func run(_ inputJSON: String, fixture: String = "qwen3-tiny-a") throws -> String {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("input.json")
        try inputJSON.write(to: input, atomically: true, encoding: .utf8)
        let command = try InspectLogits.parse(["--model", Fixtures.url(fixture).path, "--input", input.path])
        return try command.output()
    }

    func testPrintsTransformersLogitsAndLoss() throws {
        for fixture in ["qwen3-tiny-a", "qwen3-tiny-b"] {
            let reference = try ModelReference.load(fixture)
            let ids = String(decoding: try JSONEncoder().encode(["input_ids": reference.inputIDs]), as: UTF8.self)
            let printed = try JSONDecoder().decode(Printed.self, from: Data(try run(ids, fixture: fixture).utf8))
            XCTAssertLessThan(reference.maxLogitError(printed.logits), 1e-4, fixture)
            XCTAssertEqual(printed.loss, reference.loss, accuracy: 1e-5 * reference.loss, fixture)
        }
    }

    func testTokenOutsideVocabularyNamesFileAndId() throws {
        XCTAssertThrowsError(try run(#"{"input_ids": [[1, 2, 3], [4, 64, 5]]}"#)) { error in
            let error = error as? InputError
            XCTAssertTrue(error?.source.hasSuffix("input.json") ?? false)
            XCTAssertEqual(error?.field, "input_ids[1][1]")
            XCTAssertTrue(error?.message.contains("64") ?? false, "\(String(describing: error))")
        }
        XCTAssertThrowsError(try run(#"{"input_ids": [[1, -1]]}"#)) { XCTAssertTrue($0 is InputError) }
    }

    func testRejectsMalformedInput() throws {
        for bad in [#"{"input_ids": [[1, 2], [3]]}"#, #"{"ids": [[1]]}"#, #"{"input_ids": [[1.5]]}"#, "not json", #"{"input_ids": []}"#] {
            XCTAssertThrowsError(try run(bad), bad) { XCTAssertTrue($0 is InputError, "\(bad): \($0)") }
        }
    }

    /// Ids that are not integers in range say so (not "expected JSON …"); a file that is not JSON says it is malformed.
    func testIdsMustBeIntegersInRangeAndTheFileJSON() throws {
        for (ids, found) in [("9223372036854775808", "9.223372036854776e+18"), ("1.5", "1.5"), ("\"7\"", "string")] {
            XCTAssertThrowsError(try run(#"{"input_ids": [[1, \#(ids)]]}"#)) { error in
                XCTAssertEqual((error as? InputError)?.field, "input_ids[0][1]")
                XCTAssertTrue("\(error)".contains("token ids must be integers in 0..<64, found \(found)"), "\(error)")
            }
        }
        XCTAssertThrowsError(try run("not json")) { error in
            XCTAssertTrue((error as? InputError)?.message.hasPrefix("malformed JSON at byte 0") ?? false, "\(error)")
        }
    }
}
