import AEPOCore
import AEPOTestSupport
import AEPOTokenizer
import Foundation
import XCTest

/// Malformed or unsupported `tokenizer.json` files and bad ids give an `InputError` naming the
/// file and the JSON path, never a crash.
final class TokenizerInputErrorTests: XCTestCase {
    private let source = "bad/tokenizer.json"

    /// The fixture tokenizer as a mutable JSON object.
    private func fixture() throws -> [String: Any] {
        let data = try Data(contentsOf: Fixtures.url("tokenizer-bytelevel-bpe/tokenizer.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Loading `json` fails with an `InputError` at `field` whose message contains `message`.
    private func assertRefused(_ json: [String: Any], field: String?, message: String, line: UInt = #line) throws {
        let data = try JSONSerialization.data(withJSONObject: json)
        XCTAssertThrowsError(try Tokenizer(json: data, source: source), line: line) { error in
            guard let error = error as? InputError else { return XCTFail("not an InputError: \(error)", line: line) }
            XCTAssertEqual(error.source, source, line: line)
            XCTAssertEqual(error.field, field, "\(error)", line: line)
            XCTAssertTrue(error.message.contains(message), "\(error)", line: line)
        }
    }

    private func model(_ json: [String: Any]) -> [String: Any] { json["model"] as! [String: Any] }

    func testMalformedJSON() {
        XCTAssertThrowsError(try Tokenizer(json: Data("{\"model\": [".utf8), source: source)) { error in
            XCTAssertEqual((error as? InputError)?.source, source)
            XCTAssertTrue("\(error)".contains("malformed JSON"), "\(error)")
        }
        XCTAssertThrowsError(try Tokenizer(json: Data("[1, 2]".utf8), source: source)) { error in
            XCTAssertTrue("\(error)".contains("expected an object"), "\(error)")
        }
    }

    func testMissingFile() {
        XCTAssertThrowsError(try Tokenizer(contentsOf: URL(fileURLWithPath: "/nonexistent/tokenizer.json"))) { error in
            XCTAssertEqual((error as? InputError)?.source, "/nonexistent/tokenizer.json")
        }
    }

    func testUnsupportedComponentTypes() throws {
        var json = try fixture()
        json["normalizer"] = ["type": "Lowercase"]
        try assertRefused(json, field: "normalizer.type", message: "unsupported normalizer type 'Lowercase'")

        json = try fixture()
        json["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [["type": "Whitespace"]]]
        try assertRefused(json, field: "pre_tokenizer.pretokenizers[0].type", message: "unsupported pre-tokenizer type 'Whitespace'")

        json = try fixture()
        json["pre_tokenizer"] = ["type": "Split", "pattern": ["Regex": "\\w+"], "behavior": "Isolated", "invert": false]
        try assertRefused(json, field: "pre_tokenizer.pattern.Regex", message: "unsupported split regex")

        json = try fixture()
        json["pre_tokenizer"] = ["type": "Split", "pattern": ["Regex": SplitPattern.qwen2.rawValue], "behavior": "Removed"]
        try assertRefused(json, field: "pre_tokenizer.behavior", message: "unsupported split behavior 'Removed'")

        json = try fixture()
        json["pre_tokenizer"] = ["type": "Split", "pattern": ["Regex": SplitPattern.qwen2.rawValue], "behavior": "Isolated"]
        try assertRefused(json, field: "pre_tokenizer", message: "needs a ByteLevel pre-tokenizer")

        json = try fixture()
        json["decoder"] = ["type": "WordPiece"]
        try assertRefused(json, field: "decoder.type", message: "unsupported decoder type 'WordPiece'")

        json = try fixture()
        var model = model(json)
        model["type"] = "Unigram"
        json["model"] = model
        try assertRefused(json, field: "model.type", message: "unsupported model type 'Unigram'")

        json = try fixture()
        model = self.model(json)
        model["byte_fallback"] = true
        json["model"] = model
        try assertRefused(json, field: "model.byte_fallback", message: "not supported")

        json = try fixture()
        model = self.model(json)
        model["continuing_subword_prefix"] = "##"
        json["model"] = model
        try assertRefused(json, field: "model.continuing_subword_prefix", message: "not supported")

        json = try fixture()
        var added = json["added_tokens"] as! [[String: Any]]
        added[1]["lstrip"] = true
        json["added_tokens"] = added
        try assertRefused(json, field: "added_tokens[1].lstrip", message: "not supported")

        json = try fixture()
        json["truncation"] = ["max_length": 8]
        try assertRefused(json, field: "truncation", message: "not supported")
    }

    func testMissingOrInconsistentVocabularyAndMerges() throws {
        var json = try fixture()
        var model = model(json)
        model["merges"] = nil
        json["model"] = model
        try assertRefused(json, field: "model.merges", message: "missing array")

        json = try fixture()
        model = self.model(json)
        model["vocab"] = nil
        json["model"] = model
        try assertRefused(json, field: "model.vocab", message: "missing object")

        // A merge whose part is not a token.
        json = try fixture()
        model = self.model(json)
        var merges = model["merges"] as! [Any]
        merges.append(["Ġ", "nosuchtoken"])
        model["merges"] = merges
        json["model"] = model
        try assertRefused(json, field: "model.merges[\(merges.count - 1)]", message: "\"nosuchtoken\" is not in the vocabulary")

        // A merge whose result is not a token (the first merge is Ġ Ġ → ĠĠ).
        json = try fixture()
        model = self.model(json)
        var vocab = model["vocab"] as! [String: Any]
        vocab["ĠĠ"] = nil
        model["vocab"] = vocab
        model["merges"] = [["Ġ", "Ġ"]]
        json["model"] = model
        try assertRefused(json, field: "model.merges[0]", message: "\"ĠĠ\" of this merge is not in the vocabulary")

        // A byte with no token, and a merge line without a space.
        json = try fixture()
        model = self.model(json)
        model["merges"] = ["ab"]
        json["model"] = model
        try assertRefused(json, field: "model.merges[0]", message: "one space")
        model["merges"] = []
        vocab = model["vocab"] as! [String: Any]
        vocab["Ċ"] = nil
        model["vocab"] = vocab
        json["model"] = model
        try assertRefused(json, field: "model.vocab", message: "byte 0xa")

        // A vocabulary id of the wrong type.
        json = try fixture()
        model = self.model(json)
        vocab = model["vocab"] as! [String: Any]
        vocab["!"] = "three"
        model["vocab"] = vocab
        json["model"] = model
        try assertRefused(json, field: "model.vocab.!", message: "expected an integer")
    }

    func testMergesAsStringsEqualMergesAsPairs() throws {
        var json = try fixture()
        var model = model(json)
        model["merges"] = (model["merges"] as! [[String]]).map { $0.joined(separator: " ") }
        json["model"] = model
        let legacy = try Tokenizer(json: JSONSerialization.data(withJSONObject: json), source: source)
        let reference = try Tokenizer(contentsOf: Fixtures.url("tokenizer-bytelevel-bpe/tokenizer.json"))
        let text = "numbers 1234567 and 3.14159, naïve café <think>x</think>"
        XCTAssertEqual(legacy.encode(text), reference.encode(text))
    }

    func testDecodingUnknownIdsIsAnError() throws {
        let tokenizer = try Tokenizer(contentsOf: Fixtures.url("tokenizer-bytelevel-bpe/tokenizer.json"))
        for bad in [-1, 3006, 1_000_000] {
            XCTAssertThrowsError(try tokenizer.decode([42, bad])) { error in
                XCTAssertEqual((error as? InputError)?.field, "[1]")
                XCTAssertTrue("\(error)".contains("token id \(bad) is not in the vocabulary (size 3006)"), "\(error)")
            }
        }
    }

    /// An added token spelled like a vocabulary token must carry that token's id.
    func testAddedTokenWhoseIdDisagreesWithTheVocabularyIsRefused() throws {
        var json = try fixture()
        let vocab = model(json)["vocab"] as! [String: Int]
        var added = json["added_tokens"] as! [[String: Any]]
        let content = "Ġthe"
        let vocabularyID = try XCTUnwrap(vocab[content])
        let otherID = (vocab.values.max() ?? 0) + 100
        added.append(["id": otherID, "content": content, "special": false, "normalized": false,
                      "single_word": false, "lstrip": false, "rstrip": false])
        json["added_tokens"] = added
        try assertRefused(json, field: "added_tokens[\(added.count - 1)].id",
                          message: "added token \"Ġthe\" has id \(otherID), but the vocabulary gives it id \(vocabularyID)")
    }

    /// An added token id beyond 32 bits is refused like a vocabulary id (the vocabulary size would overflow).
    func testAddedTokenIdOutOfRangeIsRefused() throws {
        var json = try fixture()
        var added = json["added_tokens"] as! [[String: Any]]
        added[3]["id"] = Int.max
        json["added_tokens"] = added
        try assertRefused(json, field: "added_tokens[3].id", message: "token id \(Int.max) is out of range")
    }
}
