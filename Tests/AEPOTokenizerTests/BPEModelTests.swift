import AEPOTokenizer
import XCTest

/// Hand-worked BPE cases: lowest rank first, leftmost on ties, stale pairs skipped, `ignore_merges`.
final class BPEModelTests: XCTestCase {
    /// The 256 byte symbols at ids 0…255 plus `extra` tokens after them.
    private func vocabulary(_ extra: [String]) -> [String: Int] {
        var vocabulary: [String: Int] = [:]
        for byte in 0..<256 { vocabulary[ByteLevelAlphabet.encode([UInt8(byte)])] = byte }
        for (offset, token) in extra.enumerated() { vocabulary[token] = 256 + offset }
        return vocabulary
    }

    func testByteAlphabetIsGPT2Mapping() {
        XCTAssertEqual(ByteLevelAlphabet.encode(Array(" \n\tA\u{7F}".utf8)), "ĠĊĉAġ")
        XCTAssertEqual(ByteLevelAlphabet.encode(Array("é".utf8)), "Ã©")
        XCTAssertEqual(Set(ByteLevelAlphabet.scalars).count, 256)
        XCTAssertEqual(ByteLevelAlphabet.decode("ĠĊ"), [0x20, 0x0A])
        XCTAssertNil(ByteLevelAlphabet.decode(" "))
    }

    func testLowestRankMergesFirst() throws {
        // Ranks: (b,c)=0, (a,b)=1, (a,bc)=2. "abc": (b,c) wins → a|bc → abc.
        let model = try BPEModel(vocabulary: vocabulary(["bc", "ab", "abc"]), merges: [("b", "c"), ("a", "b"), ("a", "bc")])
        XCTAssertEqual(model.encode(Array("abc".utf8)), [258])
        // "abd": only (a,b) applies.
        XCTAssertEqual(model.encode(Array("abd".utf8)), [257, 100])
        XCTAssertEqual(model.encode([]), [])
    }

    func testEqualRanksMergeLeftmostFirst() throws {
        let model = try BPEModel(vocabulary: vocabulary(["aa"]), merges: [("a", "a")])
        XCTAssertEqual(model.encode(Array("aaa".utf8)), [256, 97])
        XCTAssertEqual(model.encode(Array("aaaaa".utf8)), [256, 256, 97])
    }

    func testIgnoreMergesTakesWholeWordFromVocabulary() throws {
        // "abc" is in the vocabulary, but no merge chain builds it.
        let vocabulary = vocabulary(["ab", "abc"])
        let plain = try BPEModel(vocabulary: vocabulary, merges: [("a", "b")])
        XCTAssertEqual(plain.encode(Array("abc".utf8)), [256, 99])
        let ignoring = try BPEModel(vocabulary: vocabulary, merges: [("a", "b")], ignoreMerges: true)
        XCTAssertEqual(ignoring.encode(Array("abc".utf8)), [257])
        XCTAssertEqual(ignoring.encode(Array("abd".utf8)), [256, 100])
    }
}
