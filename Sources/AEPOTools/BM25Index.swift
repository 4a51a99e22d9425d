import Foundation

/// An inverted index over a list of pages, ranked by Okapi BM25.
///
/// **Terms.** A page's terms are the words of its title (repeated `titleRepeats` times, default 4,
/// so a match in the title weighs like that many matches in the text: a query naming an entity
/// finds the entity's own page before the pages that mention it) followed by the words of its
/// text. A word is a maximal run of letters and digits (Unicode), lower-cased; the words of
/// `stopWords` are dropped. Queries are split the same way, and each distinct query term counts once.
///
/// **Score.** With `N` pages, `n(t)` pages containing term `t`, `f(t, d)` the count of `t` in
/// page `d`, `|d|` the page's term count and `avgdl` the mean of `|d|`:
///
///     idf(t)      = ln(1 + (N − n(t) + 0.5) / (n(t) + 0.5))            (Lucene's form; always > 0)
///     score(q, d) = Σ_{t ∈ distinct terms of q} idf(t) · f(t,d)·(k1 + 1) / (f(t,d) + k1·(1 − b + b·|d|/avgdl))
///
/// with `k1 = 1.2`, `b = 0.75` by default. Ties are broken by page order (lower index first),
/// so results are deterministic.
public struct BM25Index: Sendable {
    /// One ranked page: its index in the page list and its BM25 score.
    public struct Hit: Equatable, Sendable {
        public var document: Int
        public var score: Double

        public init(document: Int, score: Double) {
            self.document = document
            self.score = score
        }
    }

    /// Words too common to rank by; dropped from pages and queries alike.
    public static let stopWords: Set<String> = [
        "a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "for", "by", "with",
        "is", "was", "are", "were", "be", "as", "from", "that", "this", "it", "its",
    ]

    public let k1: Double
    public let b: Double
    public let titleRepeats: Int
    /// Number of indexed pages (`N`).
    public let documentCount: Int
    /// Term count of every page (`|d|`), in page order.
    public let documentLengths: [Int]
    /// Mean page length (`avgdl`); 1 for a corpus of empty pages so scores stay finite.
    public let averageDocumentLength: Double
    /// term → postings (page index, term frequency), page indices ascending.
    private let postings: [String: [(document: Int, frequency: Int)]]

    public init(pages: [Page], k1: Double = 1.2, b: Double = 0.75, titleRepeats: Int = 4) {
        self.k1 = k1
        self.b = b
        self.titleRepeats = titleRepeats
        var postings: [String: [(document: Int, frequency: Int)]] = [:]
        var lengths: [Int] = []
        lengths.reserveCapacity(pages.count)
        for (document, page) in pages.enumerated() {
            var counts: [String: Int] = [:]
            let titleTerms = Self.terms(in: page.title)
            for _ in 0..<max(titleRepeats, 0) {
                for term in titleTerms { counts[term, default: 0] += 1 }
            }
            let textTerms = Self.terms(in: page.text)
            for term in textTerms { counts[term, default: 0] += 1 }
            lengths.append(titleTerms.count * max(titleRepeats, 0) + textTerms.count)
            for (term, frequency) in counts {
                postings[term, default: []].append((document, frequency))
            }
        }
        self.postings = postings
        self.documentCount = pages.count
        self.documentLengths = lengths
        let total = lengths.reduce(0, +)
        self.averageDocumentLength = total > 0 ? Double(total) / Double(pages.count) : 1
    }

    /// The lower-cased letter-and-digit words of `text`, stop words removed.
    public static func terms(in text: String) -> [String] {
        var text = text
        text.makeContiguousUTF8()
        let all = asciiWords(in: text)?.map(\.word) ?? words(in: text).map(\.word)
        return all.filter { !stopWords.contains($0) }
    }

    /// Every lower-cased letter-and-digit word of `text` (stop words kept) with its range in `text`.
    public static func words(in text: String) -> [(word: String, range: Range<String.Index>)] {
        var text = text
        text.makeContiguousUTF8()
        if let ascii = asciiWords(in: text) {
            let utf8 = text.utf8
            return ascii.map { word, bytes in
                (word, utf8.index(utf8.startIndex, offsetBy: bytes.lowerBound)..<utf8.index(utf8.startIndex, offsetBy: bytes.upperBound))
            }
        }
        var result: [(word: String, range: Range<String.Index>)] = []
        var start: String.Index?
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character.isLetter || character.isNumber {
                if start == nil { start = index }
            } else if let begin = start {
                result.append((text[begin..<index].lowercased(), begin..<index))
                start = nil
            }
            index = text.index(after: index)
        }
        if let begin = start {
            result.append((text[begin..<text.endIndex].lowercased(), begin..<text.endIndex))
        }
        return result
    }

    /// The same split for pure-ASCII text, on bytes (the common case, and much faster);
    /// `nil` when `text` has a non-ASCII byte.
    private static func asciiWords(in text: String) -> [(word: String, bytes: Range<Int>)]? {
        text.utf8.withContiguousStorageIfAvailable { bytes -> [(word: String, bytes: Range<Int>)]? in
            var result: [(word: String, bytes: Range<Int>)] = []
            var start = -1
            var lowered: [UInt8] = []
            for position in 0...bytes.count {
                let byte: UInt8 = position < bytes.count ? bytes[position] : 0x20
                if byte >= 0x80 { return nil }
                let isDigit = byte >= 0x30 && byte <= 0x39
                let isLower = byte >= 0x61 && byte <= 0x7A
                let isUpper = byte >= 0x41 && byte <= 0x5A
                if isDigit || isLower || isUpper {
                    if start < 0 { start = position }
                    lowered.append(isUpper ? byte + 0x20 : byte)
                } else if start >= 0 {
                    result.append((String(decoding: lowered, as: UTF8.self), start..<position))
                    lowered.removeAll(keepingCapacity: true)
                    start = -1
                }
            }
            return result
        } ?? nil
    }

    /// Number of pages containing `term` (`n(t)`).
    public func documentFrequency(of term: String) -> Int {
        postings[term]?.count ?? 0
    }

    /// `ln(1 + (N − n + 0.5) / (n + 0.5))`.
    public func idf(_ term: String) -> Double {
        let n = Double(documentFrequency(of: term))
        return log(1 + (Double(documentCount) - n + 0.5) / (n + 0.5))
    }

    /// The `limit` best pages for `query` with a positive score, best first, ties by page order.
    public func search(_ query: String, limit: Int) -> [Hit] {
        guard limit > 0 else { return [] }
        var scores: [Int: Double] = [:]
        for term in Self.distinct(Self.terms(in: query)) {
            guard let list = postings[term] else { continue }
            let termIDF = idf(term)
            for posting in list {
                scores[posting.document, default: 0] += termIDF * weight(frequency: posting.frequency, document: posting.document)
            }
        }
        let ranked = scores.map { Hit(document: $0.key, score: $0.value) }.sorted {
            $0.score != $1.score ? $0.score > $1.score : $0.document < $1.document
        }
        return Array(ranked.prefix(limit))
    }

    /// The term-frequency part: `f·(k1 + 1) / (f + k1·(1 − b + b·|d|/avgdl))`.
    private func weight(frequency: Int, document: Int) -> Double {
        let f = Double(frequency)
        let lengthRatio = Double(documentLengths[document]) / averageDocumentLength
        return f * (k1 + 1) / (f + k1 * (1 - b + b * lengthRatio))
    }

    private static func distinct(_ terms: [String]) -> [String] {
        var seen: Set<String> = []
        return terms.filter { seen.insert($0).inserted }
    }
}
