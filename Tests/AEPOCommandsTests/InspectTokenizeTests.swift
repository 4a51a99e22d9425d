@testable import AEPOCommands
import AEPOCore
import AEPOTestSupport
import Foundation
import XCTest

/// `aepo inspect tokenize` and `aepo inspect train-tokenizer`, run in-process.
final class InspectTokenizeTests: XCTestCase {
    var directory: URL!
    let fixture = Fixtures.url("tokenizer-bytelevel-bpe/tokenizer.json").path

    override func setUpWithError() throws {
        directory = try Fixtures.temporaryDirectory("inspect-tokenize")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func file(_ name: String, _ bytes: Data) throws -> String {
        let url = directory.appendingPathComponent(name)
        try bytes.write(to: url)
        return url.path
    }

    private func run(_ arguments: [String]) throws -> String {
        let command = try AEPOCommand.parseAsRoot(["inspect"] + arguments)
        if let tokenize = command as? InspectTokenize { return try tokenize.output() }
        var other = command
        try other.run()
        return ""
    }

    func testEncodesFileByteForByteAndDecodesBothInputForms() throws {
        // A fixture sample, with its CRLF and without a trailing newline.
        let text = try file("text.txt", Data("tabs\tand\nnewlines\r\n\n\nblank lines".utf8))
        XCTAssertEqual(try run(["tokenize", "--tokenizer", fixture, "--input", text]),
                       #"{"ids":[86,1712,200,475,201,1337,643,204,671,68,2734,1020]}"#)
        let empty = try file("empty.txt", Data())
        XCTAssertEqual(try run(["tokenize", "--tokenizer", fixture, "--input", empty]), #"{"ids":[]}"#)

        let object = try file("ids.json", Data(#"{"ids": [1, 1654, 201, 74, 75, 2]}"#.utf8))
        XCTAssertEqual(try run(["tokenize", "--tokenizer", fixture, "--input", object, "--decode"]),
                       #"{"text":"<|im_start|>user\nhi<|im_end|>"}"#)
        let array = try file("array.json", Data("[1, 1654, 201, 74, 75, 2]".utf8))
        XCTAssertEqual(try run(["tokenize", "--tokenizer", fixture, "--input", array, "--decode", "--skip-special-tokens"]),
                       #"{"text":"user\nhi"}"#)
    }

    func testBadInputsNameTheFile() throws {
        let invalid = try file("invalid.txt", Data([0x61, 0xFF, 0x62]))
        XCTAssertThrowsError(try run(["tokenize", "--tokenizer", fixture, "--input", invalid])) { error in
            XCTAssertEqual(error as? InputError, InputError("file is not valid UTF-8", source: invalid))
        }
        let outOfRange = try file("range.json", Data("[5, 99999]".utf8))
        XCTAssertThrowsError(try run(["tokenize", "--tokenizer", fixture, "--input", outOfRange, "--decode"])) { error in
            XCTAssertEqual((error as? InputError)?.source, outOfRange)
            XCTAssertEqual((error as? InputError)?.field, "ids[1]")
            XCTAssertTrue("\(error)".contains("token ids must be integers in 0..<3006, found 99999"), "\(error)")
        }
        let huge = try file("huge.json", Data("[5, 9223372036854775808]".utf8))
        XCTAssertThrowsError(try run(["tokenize", "--tokenizer", fixture, "--input", huge, "--decode"])) { error in
            XCTAssertEqual((error as? InputError)?.field, "ids[1]")
            XCTAssertTrue("\(error)".contains("token ids must be integers in 0..<3006, found 9.223372036854776e+18"), "\(error)")
        }
        let notIds = try file("notids.json", Data(#"{"tokens": [1]}"#.utf8))
        XCTAssertThrowsError(try run(["tokenize", "--tokenizer", fixture, "--input", notIds, "--decode"])) { error in
            XCTAssertEqual((error as? InputError)?.source, notIds)
        }
        let fraction = try file("fraction.json", Data("[1, 2.5]".utf8))
        XCTAssertThrowsError(try run(["tokenize", "--tokenizer", fixture, "--input", fraction, "--decode"])) { error in
            XCTAssertEqual((error as? InputError)?.field, "ids[1]")
        }
        XCTAssertThrowsError(try run(["tokenize", "--tokenizer", invalid, "--input", invalid])) { error in
            XCTAssertEqual((error as? InputError)?.source, invalid)
        }
    }

    func testTrainTokenizerWritesAFileThatTokenizeLoads() throws {
        let corpus = try file("corpus.txt", Data(String(repeating: "the founder of the company was born in 1961. ", count: 20).utf8))
        let out = directory.appendingPathComponent("tok/tokenizer.json").path
        _ = try run(["train-tokenizer", "--input", corpus, "--vocab-size", "300", "--special-token", "<think>",
                     "--special-token", "</think>", "--out", out])
        let text = try file("t.txt", Data("<think>the founder</think>".utf8))
        let ids = try run(["tokenize", "--tokenizer", out, "--input", text])
        XCTAssertTrue(ids.hasPrefix(#"{"ids":[0,"#) && ids.hasSuffix(",1]}"), ids)
    }
}
