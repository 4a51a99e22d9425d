import AEPOTestSupport
import AEPOTokenizer
import Foundation
import XCTest

/// Other tokenizer.json shapes, built from the fixture: the Llama 3 split with `ignore_merges`,
/// the plain GPT-2 `ByteLevel` pre-tokenizer (with and without `add_prefix_space`), merges as
/// strings, and added tokens matched in normalized text. Expected ids and texts are what
/// `tokenizers` 0.23.3 gave for the same files.
final class TokenizerVariantTests: XCTestCase {
    private let texts = [
        "", " ", "Hello world 12345 it's", "caf\u{E9} e\u{301}t\u{E9} x cafe\u{301} <think>caf</think>",
        "  x\n\n  y 1234567 THEY'LL", "\u{130}stanbul \u{BD} \u{1F600}",
    ]

    private func variant(_ change: (inout [String: Any]) -> Void) throws -> Tokenizer {
        let data = try Data(contentsOf: Fixtures.url("tokenizer-bytelevel-bpe/tokenizer.json"))
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        change(&json)
        return try Tokenizer(json: JSONSerialization.data(withJSONObject: json), source: "variant")
    }

    private func check(_ tokenizer: Tokenizer, ids: [[Int]], decoded: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        for (index, text) in texts.enumerated() {
            XCTAssertEqual(tokenizer.encode(text), ids[index], text.debugDescription, file: file, line: line)
            // Compared scalar by scalar: `String` equality would accept any canonically equivalent text.
            XCTAssertEqual(Array(try tokenizer.decode(ids[index]).unicodeScalars), Array(decoded[index].unicodeScalars),
                           text.debugDescription, file: file, line: line)
        }
    }

    func testLlama3SplitWithIgnoreMerges() throws {
        let tokenizer = try variant { json in
            var pre = json["pre_tokenizer"] as! [String: Any]
            var steps = pre["pretokenizers"] as! [[String: Any]]
            steps[0]["pattern"] = ["Regex": SplitPattern.llama3.rawValue]
            pre["pretokenizers"] = steps
            json["pre_tokenizer"] = pre
            var model = json["model"] as! [String: Any]
            model["ignore_merges"] = true
            // Qwen2 writes empty strings here: no prefix, no suffix.
            model["continuing_subword_prefix"] = ""
            model["end_of_word_suffix"] = ""
            json["model"] = model
        }
        XCTAssertTrue(tokenizer.model.ignoreMerges)
        try check(tokenizer, ids: [
            [], [223], [42, 498, 331, 322, 270, 1985, 223, 19, 20, 21, 22, 23, 507, 899],
            [742, 72, 130, 105, 223, 130, 105, 86, 130, 105, 1357, 290, 2625, 130, 105, 223, 3000, 742, 72, 3001],
            [223, 1357, 282, 223, 759, 223, 19, 20, 21, 22, 23, 24, 25, 366, 42, 39, 59, 9, 46, 46],
            [131, 111, 557, 68, 358, 223, 129, 124, 223, 2671, 225],
        ], decoded: ["", " ", "Hello world 12345 it's", "caf\u{E9} \u{E9}t\u{E9} x caf\u{E9} <think>caf</think>",
                     "  x\n\n  y 1234567 THEY'LL", "\u{130}stanbul \u{BD} \u{1F600}"])
    }

    func testGPT2ByteLevelWithoutNormalizer() throws {
        let tokenizer = try variant { json in
            json["pre_tokenizer"] = ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true]
            json["normalizer"] = NSNull()
        }
        try check(tokenizer, ids: [
            [], [223], [42, 498, 331, 322, 270, 1985, 223, 19, 20, 21, 22, 23, 507, 899],
            [742, 72, 130, 105, 369, 139, 226, 86, 130, 105, 1357, 290, 1508, 139, 226, 223, 3000, 742, 72, 3001],
            [223, 1357, 282, 223, 759, 223, 19, 20, 21, 22, 23, 24, 25, 366, 42, 39, 59, 9, 46, 46],
            [131, 111, 557, 68, 358, 2651, 124, 223, 2671, 225],
        ], decoded: texts)
    }

    func testGPT2ByteLevelWithPrefixSpaceAndNormalizerSequence() throws {
        let tokenizer = try variant { json in
            json["pre_tokenizer"] = ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true]
            json["normalizer"] = ["type": "Sequence", "normalizers": [["type": "NFC"]]]
        }
        try check(tokenizer, ids: [
            [], [223], [1113, 498, 331, 322, 270, 1985, 223, 19, 20, 21, 22, 23, 507, 899],
            [290, 2625, 130, 105, 223, 130, 105, 86, 130, 105, 1357, 290, 2625, 130, 105, 223, 3000, 290, 2625, 3001],
            [223, 1357, 282, 223, 759, 223, 19, 20, 21, 22, 23, 24, 25, 366, 42, 39, 59, 9, 46, 46],
            [223, 131, 111, 557, 68, 358, 2651, 124, 223, 2671, 225],
        ], decoded: ["", " ", " Hello world 12345 it's", " caf\u{E9} \u{E9}t\u{E9} x caf\u{E9} <think> caf</think>",
                     "  x\n\n  y 1234567 THEY'LL", " \u{130}stanbul \u{BD} \u{1F600}"])
    }

    func testNormalizedAndRawAddedTokensAndStringMerges() throws {
        let tokenizer = try variant { json in
            var model = json["model"] as! [String: Any]
            model["merges"] = (model["merges"] as! [[String]]).map { $0.joined(separator: " ") }
            json["model"] = model
            var added = (json["added_tokens"] as! [[String: Any]]).map { token -> [String: Any] in
                var token = token
                if token["special"] as? Bool == false { token["normalized"] = true }
                return token
            }
            func token(_ id: Int, _ content: String, normalized: Bool) -> [String: Any] {
                ["id": id, "content": content, "single_word": false, "lstrip": false, "rstrip": false,
                 "normalized": normalized, "special": false]
            }
            added += [token(3006, "e\u{301}t\u{E9} x", normalized: true), token(3007, "caf", normalized: false)]
            json["added_tokens"] = added
        }
        try check(tokenizer, ids: [
            [], [223], [42, 498, 331, 322, 270, 1985, 223, 19, 20, 21, 22, 23, 507, 899],
            [3007, 130, 105, 223, 3006, 223, 3007, 130, 105, 223, 3000, 3007, 3001],
            [223, 1357, 282, 223, 759, 223, 19, 20, 21, 22, 23, 24, 25, 366, 42, 39, 59, 9, 46, 46],
            [131, 111, 557, 68, 358, 223, 129, 124, 223, 2671, 225],
        ], decoded: ["", " ", "Hello world 12345 it's", "caf\u{E9} \u{E9}t\u{E9} x caf\u{E9} <think>caf</think>",
                     "  x\n\n  y 1234567 THEY'LL", "\u{130}stanbul \u{BD} \u{1F600}"])
    }
}
