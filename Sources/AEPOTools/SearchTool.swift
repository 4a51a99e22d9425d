import Foundation

/// `search`: BM25 over the corpus; returns the top pages as `Page i: <title>\n<snippet>` blocks
/// separated by blank lines (title and snippet each on one line, so the blocks split cleanly).
///
/// The snippet is the window of `snippetWords` consecutive words of the page text that covers the
/// most query weight (the sum of `idf` over the distinct query terms it contains; the earliest
/// window wins ties), shifted to start three words before its first match, on one line (whitespace
/// runs become one space), with `...` marking text cut before or after, and at most
/// `snippetCharacters` characters.
public struct SearchTool: Tool {
    public let name = "search"
    public let kind = ToolKind.search
    public let corpus: Corpus
    /// Pages returned per query.
    public let topK: Int
    public let snippetWords: Int
    public let snippetCharacters: Int
    /// Longest accepted query, in characters.
    public let maxQueryCharacters: Int

    public init(corpus: Corpus, topK: Int = 3, snippetWords: Int = 40, snippetCharacters: Int = 320, maxQueryCharacters: Int = 300) {
        self.corpus = corpus
        self.topK = max(topK, 1)
        self.snippetWords = max(snippetWords, 1)
        self.snippetCharacters = max(snippetCharacters, 16)
        self.maxQueryCharacters = maxQueryCharacters
    }

    public func call(_ input: String) -> String {
        let query = input.trimmingCharacters(in: .whitespacesAndNewlines)
        if query.isEmpty { return "Error: empty search query." }
        if query.count > maxQueryCharacters {
            return "Error: search query too long (\(query.count) characters; the limit is \(maxQueryCharacters))."
        }
        let hits = corpus.index.search(query, limit: topK)
        if hits.isEmpty { return "No results found for '\(query)'." }
        return hits.enumerated().map { rank, hit in
            let page = corpus.pages[hit.document]
            let title = page.title.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
            return "Page \(rank + 1): \(title)\n\(snippet(of: page.text, for: query))"
        }.joined(separator: "\n\n")
    }

    /// Words of context kept before the first query match of a snippet.
    static let leadingContextWords = 3

    /// The most query-relevant window of `text` (see the type's documentation).
    public func snippet(of text: String, for query: String) -> String {
        let words = BM25Index.words(in: text)
        guard !words.isEmpty else { return String(text.prefix(snippetCharacters)) }
        var weights: [String: Double] = [:]
        for term in BM25Index.terms(in: query) { weights[term] = corpus.index.idf(term) }
        let width = min(snippetWords, words.count)
        // Slide the window, keeping per-term counts so each distinct term counts once.
        var counts: [String: Int] = [:]
        var covered = 0.0
        func add(_ word: String, _ delta: Int) {
            guard let weight = weights[word] else { return }
            let before = counts[word, default: 0]
            counts[word] = before + delta
            if before == 0 && delta > 0 { covered += weight }
            if before == 1 && delta < 0 { covered -= weight }
        }
        for position in 0..<width { add(words[position].word, 1) }
        var best = (start: 0, score: covered)
        var start = 0
        while start + width < words.count {
            add(words[start].word, -1)
            add(words[start + width].word, 1)
            start += 1
            if covered > best.score + 1e-12 { best = (start, covered) }
        }
        // The earliest best window ends on a match; shift it so its first match has a little context
        // before it and the text after the matches shows (the matches all stay inside).
        if let firstMatch = (best.start..<(best.start + width)).first(where: { weights[words[$0].word] != nil }) {
            best.start = max(0, min(firstMatch - Self.leadingContextWords, words.count - width))
        }
        let from = best.start == 0 ? text.startIndex : words[best.start].range.lowerBound
        let last = best.start + width - 1
        let to = last == words.count - 1 ? text.endIndex : words[last].range.upperBound
        var body = text[from..<to].split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        let prefix = best.start == 0 ? "" : "..."
        let suffix = to == text.endIndex ? "" : "..."
        let room = snippetCharacters - prefix.count - suffix.count
        var cut = suffix
        if body.count > room {
            body = String(body.prefix(room - 3))
            cut = "..."
        }
        return prefix + body + cut
    }
}
