import AEPOTools

/// Finds the pages that contain a phrase as a whole-word, case-insensitive token sequence
/// ("Oskavel" matches "Oskavel Works" but not "Oskavelo"). Used to keep answers off the pages
/// that name a question's subject.
public struct PhraseIndex: Sendable {
    private let tokens: [[Substring]]
    private let postings: [Substring: [Int]]

    public init(pages: [Page]) {
        var tokens: [[Substring]] = []
        var postings: [Substring: [Int]] = [:]
        for (index, page) in pages.enumerated() {
            let words = Self.words(page.title + " " + page.text)
            tokens.append(words)
            for word in Set(words) { postings[word, default: []].append(index) }
        }
        self.tokens = tokens
        self.postings = postings
    }

    /// Lower-cased runs of letters and digits.
    public static func words(_ text: String) -> [Substring] {
        Substring(text.lowercased()).split { !$0.isLetter && !$0.isNumber }
    }

    /// Indices of the pages (title or text) that contain `phrase`.
    public func pages(containing phrase: String) -> [Int] {
        let needle = Self.words(phrase)
        guard let first = needle.first, var candidates = postings[first] else { return [] }
        for word in needle.dropFirst() {
            let other = Set(postings[word] ?? [])
            candidates = candidates.filter(other.contains)
        }
        return candidates.filter { Self.contains(tokens[$0], needle) }
    }

    /// Whether page `index` contains `phrase`.
    public func page(_ index: Int, contains phrase: String) -> Bool {
        let needle = Self.words(phrase)
        return !needle.isEmpty && Self.contains(tokens[index], needle)
    }

    static func contains(_ haystack: [Substring], _ needle: [Substring]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}
