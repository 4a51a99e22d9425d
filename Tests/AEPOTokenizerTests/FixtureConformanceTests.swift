import AEPOTestSupport
import AEPOTokenizer
import Foundation
import XCTest

/// The Qwen-style fixture tokenizer must give exactly the ids and decoded texts `tokenizers` gave.
final class FixtureConformanceTests: XCTestCase {
    private struct Samples: Decodable {
        struct Sample: Decodable {
            var text: String
            var ids: [Int]
            var decoded: String
        }
        var samples: [Sample]
    }

    func testEverySampleMatchesTokenizersLibrary() throws {
        let directory = Fixtures.url("tokenizer-bytelevel-bpe")
        let tokenizer = try Tokenizer(contentsOf: directory.appendingPathComponent("tokenizer.json"))
        let samples = try JSONDecoder().decode(
            Samples.self, from: Data(contentsOf: directory.appendingPathComponent("samples.json"))).samples
        XCTAssertGreaterThan(samples.count, 20)
        for sample in samples {
            XCTAssertEqual(tokenizer.encode(sample.text), sample.ids, "encode \(sample.text.debugDescription)")
            // Compared scalar by scalar: `String` equality would accept any canonically equivalent text.
            XCTAssertEqual(Array(try tokenizer.decode(sample.ids).unicodeScalars), Array(sample.decoded.unicodeScalars),
                           "decode \(sample.text.debugDescription)")
        }
        // The samples include the empty text, a lone newline and CRLF (taken scalar by scalar).
        XCTAssertTrue(samples.contains { $0.text.isEmpty })
        XCTAssertTrue(samples.contains { $0.text == "\n" })
        XCTAssertTrue(samples.contains { $0.text.unicodeScalars.contains("\r") })
    }

    func testSkipSpecialTokensDropsOnlySpecialTokens() throws {
        let tokenizer = try Tokenizer(contentsOf: Fixtures.url("tokenizer-bytelevel-bpe/tokenizer.json"))
        let ids = tokenizer.encode("<|im_start|>user<think>x</think><|im_end|>")
        XCTAssertEqual(ids.first, 1)
        XCTAssertEqual(ids.last, 2)
        XCTAssertEqual(try tokenizer.decode(ids, skipSpecialTokens: true), "user<think>x</think>")
        XCTAssertEqual(try tokenizer.decode(ids), "<|im_start|>user<think>x</think><|im_end|>")
    }
}
