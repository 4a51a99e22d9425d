import Foundation
import XCTest
@testable import AEPOTools

/// Expected scores are worked out by hand from
/// `idf = ln(1 + (N − n + 0.5)/(n + 0.5))` and `w = f·(k1+1) / (f + k1·(1 − b + b·|d|/avgdl))`.
final class BM25IndexTests: XCTestCase {
    // Without title terms: |d0| = 3 (apple banana apple), |d1| = 2, |d2| = 4; N = 3, avgdl = 3.
    let pages = [
        Page(title: "Alpha", text: "apple banana apple"),
        Page(title: "Beta", text: "Banana, cherry."),
        Page(title: "Gamma", text: "cherry date elderberry fig"),
    ]

    func testSingleTermScoreMatchesHandComputation() {
        let index = BM25Index(pages: pages, k1: 1.2, b: 0.75, titleRepeats: 0)
        XCTAssertEqual(index.averageDocumentLength, 3)
        // apple: n = 1 → idf = ln(1 + 2.5/1.5) = ln(8/3); d0: f = 2, |d|/avgdl = 1 → w = 4.4 / 3.2.
        let hits = index.search("apple", limit: 5)
        XCTAssertEqual(hits.map(\.document), [0], "only page 0 holds the term")
        XCTAssertEqual(hits[0].score, log(8.0 / 3.0) * 4.4 / 3.2, accuracy: 1e-12)
    }

    func testTwoTermQueryRanksByHandComputedScores() {
        let index = BM25Index(pages: pages, k1: 1.2, b: 0.75, titleRepeats: 0)
        // banana, cherry: n = 2 each → idf = ln(1 + 1.5/2.5) = ln(1.6).
        let idf = log(1.6)
        // d1: f = 1 each, |d|/avgdl = 2/3 → denominator 1 + 1.2·(0.25 + 0.5) = 1.9.
        let d1 = 2 * idf * 2.2 / 1.9
        // d0: banana f = 1, ratio 1 → w = 1.
        let d0 = idf
        // d2: cherry f = 1, ratio 4/3 → denominator 1 + 1.2·(0.25 + 1) = 2.5.
        let d2 = idf * 2.2 / 2.5
        let hits = index.search("Banana CHERRY banana", limit: 10)
        XCTAssertEqual(hits.map(\.document), [1, 0, 2])
        XCTAssertEqual(hits[0].score, d1, accuracy: 1e-12)
        XCTAssertEqual(hits[1].score, d0, accuracy: 1e-12)
        XCTAssertEqual(hits[2].score, d2, accuracy: 1e-12)
        XCTAssertEqual(index.search("banana cherry", limit: 2).map(\.document), [1, 0])
    }

    func testTitleTermsCountTitleRepeatsTimes() {
        let index = BM25Index(pages: pages, k1: 0.9, b: 0.75, titleRepeats: 2)
        // Lengths 2+3, 2+2, 2+4 → avgdl = 5. alpha: n = 1, f = 2 in d0, ratio 1.
        XCTAssertEqual(index.documentLengths, [5, 4, 6])
        let hits = index.search("alpha", limit: 5)
        XCTAssertEqual(hits.map(\.document), [0])
        XCTAssertEqual(hits[0].score, log(8.0 / 3.0) * 2 * 1.9 / (2 + 0.9), accuracy: 1e-12)
    }

    func testStopWordsAndTokenisation() {
        XCTAssertEqual(BM25Index.terms(in: "The Founder of Zürich-Bank, in 1984!"), ["founder", "zürich", "bank", "1984"])
        let index = BM25Index(pages: pages, titleRepeats: 0)
        XCTAssertEqual(index.search("the apple of", limit: 5), index.search("apple", limit: 5))
        XCTAssertEqual(index.search("the of and", limit: 3), [])
    }

    func testWordRangesOnAsciiAndUnicodeText() {
        for text in ["Hello, World 42!", "Héllo, World 42!"] {
            let words = BM25Index.words(in: text)
            XCTAssertEqual(words.map(\.word), [text.hasPrefix("Hé") ? "héllo" : "hello", "world", "42"])
            XCTAssertEqual(words.map { String(text[$0.range]) }, [String(text.prefix(5)), "World", "42"])
        }
        XCTAssertEqual(BM25Index.terms(in: "THE Mayor"), ["mayor"])
        XCTAssertEqual(BM25Index.terms(in: ""), [])
    }

    func testTiesBreakByPageOrder() {
        let twins = [Page(title: "B", text: "same words here"), Page(title: "A", text: "same words here"), Page(title: "C", text: "other")]
        let hits = BM25Index(pages: twins, titleRepeats: 0).search("same", limit: 3)
        XCTAssertEqual(hits.map(\.document), [0, 1])
        XCTAssertEqual(hits[0].score, hits[1].score)
    }
}
