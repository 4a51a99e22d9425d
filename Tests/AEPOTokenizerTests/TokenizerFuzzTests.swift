import AEPOCore
import AEPOTestSupport
import AEPOTokenizer
import Foundation
import XCTest

/// Seeded mutations of a small `tokenizer.json`: each load ends in an `InputError` or a tokenizer that encodes and
/// decodes, never a trap.
final class TokenizerFuzzTests: XCTestCase {
    func testMutatedFilesLoadOrFailCleanly() throws {
        let text = "the founder of the company was born in 1961. <think>numbers 12 and 3.5</think> naïve café"
        let json = Array(try BPETrainer(vocabularySize: 300, specialTokens: ["<think>", "</think>"], minimumFrequency: 1)
            .train(on: [text, text]).jsonData())
        var mutator = ByteMutator(seed: 21)
        var loaded = 0, refused = 0
        let start = Date()
        for i in 0..<300 {
            do {
                let tokenizer = try Tokenizer(json: Data(mutator.mutate(json)), source: "mutation \(i)")
                let ids = tokenizer.encode(text)
                _ = try? tokenizer.decode(ids + [-1, tokenizer.vocabularySize, Int.max])
                _ = try tokenizer.decode(ids, skipSpecialTokens: true)
                loaded += 1
            } catch is InputError {
                refused += 1
            } catch {
                XCTFail("mutation \(i): not an InputError: \(error)")
            }
        }
        XCTAssertGreaterThan(loaded, 20)
        XCTAssertGreaterThan(refused, 150)
        XCTAssertLessThan(Date().timeIntervalSince(start), 20)
    }
}
