import AEPOCore
import AEPOTestSupport
import AEPOTokenizer
import Foundation
import XCTest

/// Training: hand-counted merges, the tie rule, the size limit, determinism and save/load round trips.
final class BPETrainerTests: XCTestCase {
    private let tags = ["<|endoftext|>", "<think>", "</think>", "<search>", "</search>", "<answer>", "</answer>"]

    private func mergeStrings(_ tokenizer: Tokenizer) -> [String] {
        tokenizer.model.merges.map { "\(tokenizer.model.tokens[$0.left]!) \(tokenizer.model.tokens[$0.right]!)" }
    }

    func testMergesFollowHandCountedPairFrequencies() throws {
        // Pre-tokens: "ab" ×1, "Ġab" ×2, "Ġcd" ×1 → (a,b)=3 first, then (Ġ,ab)=2; every other pair occurs once.
        let tokenizer = try BPETrainer(vocabularySize: 1000, specialTokens: tags).train(on: ["ab ab ab cd"])
        XCTAssertEqual(mergeStrings(tokenizer), ["a b", "Ġ ab"])
        XCTAssertEqual(tokenizer.vocabularySize, tags.count + 256 + 2)
        XCTAssertEqual(tokenizer.encode("ab ab cd"), [tokenizer.id(forToken: "ab")!, tokenizer.id(forToken: "Ġab")!,
                                                      tokenizer.id(forToken: "Ġ")!, tokenizer.id(forToken: "c")!,
                                                      tokenizer.id(forToken: "d")!])
    }

    func testTiesGoToSmallestLeftThenRightId() throws {
        // (x,y), (Ġ,z), (z,w) each occur once; Ġ (byte 0x20) has the smallest id.
        let tokenizer = try BPETrainer(vocabularySize: tags.count + 256 + 2, specialTokens: tags, minimumFrequency: 1)
            .train(on: ["xy zw"])
        XCTAssertEqual(mergeStrings(tokenizer), ["Ġ z", "x y"])
    }

    func testLayoutSpecialTokensThenBytesThenMerges() throws {
        let tokenizer = try BPETrainer(vocabularySize: 400, specialTokens: tags, minimumFrequency: 1).train(on: [corpus])
        XCTAssertEqual(tokenizer.vocabularySize, 400)
        XCTAssertEqual(tokenizer.model.merges.count, 400 - tags.count - 256)
        for (id, tag) in tags.enumerated() {
            XCTAssertEqual(tokenizer.id(forToken: tag), id)
            XCTAssertEqual(tokenizer.addedVocabulary.tokens[id], AddedToken(id: id, content: tag, special: true))
        }
        XCTAssertEqual(tokenizer.id(forToken: "!"), tags.count + 0x21)
        let text = "<think>Who founded Arvana?</think><search>Arvana founder</search>"
        let ids = tokenizer.encode(text)
        XCTAssertEqual(ids.first, 1)
        XCTAssertTrue(ids.contains(3) && ids.contains(4))
        XCTAssertEqual(try tokenizer.decode(ids), text)
        XCTAssertEqual(try tokenizer.decode(ids, skipSpecialTokens: true), "Who founded Arvana?Arvana founder")
    }

    func testTrainingIsDeterministicAndSavedFileReloadsIdentically() throws {
        let trainer = BPETrainer(vocabularySize: 600, specialTokens: tags)
        let first = try trainer.train(on: [corpus, "e\u{301}t\u{E9} caf\u{E9} 東京 東京\r\n"])
        let second = try trainer.train(on: [corpus, "e\u{301}t\u{E9} caf\u{E9} 東京 東京\r\n"])
        XCTAssertEqual(first.jsonData(), second.jsonData())

        let directory = try Fixtures.temporaryDirectory("bpe-trainer")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("tokenizer.json")
        try first.write(to: url)
        let loaded = try Tokenizer(contentsOf: url)
        XCTAssertEqual(loaded.jsonData(), first.jsonData())
        for text in [corpus, "", "\n", "\r\n", "  trailing  ", "e\u{301}t\u{E9} 😀 ＡＢ１２", "<answer>\\boxed{42}</answer>"] {
            let ids = first.encode(text)
            XCTAssertEqual(loaded.encode(text), ids)
            // Decoding gives the NFC form of the text back.
            XCTAssertEqual(Array(try loaded.decode(ids).unicodeScalars),
                           Normalizer.nfc.normalize(Array(text.unicodeScalars)))
        }
    }

    func testRefusesTooSmallVocabularyAndRepeatedSpecialTokens() {
        XCTAssertThrowsError(try BPETrainer(vocabularySize: 100, specialTokens: tags).train(on: ["x"])) { error in
            XCTAssertTrue(error is InputError)
            XCTAssertTrue("\(error)".contains("smaller than"), "\(error)")
        }
        XCTAssertThrowsError(try BPETrainer(vocabularySize: 1000, specialTokens: ["<a>", "<a>"]).train(on: ["x"])) { error in
            XCTAssertTrue("\(error)".contains("specialTokens[1]"), "\(error)")
        }
    }

    private let corpus = """
        Arvana Systems was founded in 1987 by Mira Castell in Port Elden. Mira Castell studied at the \
        University of Lorrin. The company's headquarters moved to New Tarsk in 2004; it has 12,400 employees.
        Port Elden is a city of 350,000 people. Its mayor, Tomas Ferrel, was born in 1961.
        <think>I need the founder of Arvana Systems.</think><search>Arvana Systems founder</search>
        <answer>\\boxed{Mira Castell}</answer><|endoftext|>
        """
}
