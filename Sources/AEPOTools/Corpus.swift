import AEPOCore
import Foundation

/// The pages the `search` and `open` tools work on, with their BM25 index and a title lookup.
///
/// Titles must be unique (exactly) and non-empty; an empty corpus is an error. Titles that differ
/// only in case or spacing are allowed: `open` then resolves the loose match to the first of them
/// in corpus order, and an exact match always wins.
public struct Corpus: Sendable {
    public let pages: [Page]
    public let index: BM25Index
    private let exactTitles: [String: Int]
    private let looseTitles: [String: Int]

    /// Builds the corpus; `source` names where the pages came from in error messages.
    public init(pages: [Page], source: String = "corpus") throws {
        try self.init(numbered: pages.enumerated().map { (line: $0.offset + 1, value: $0.element) }, source: source, lineNumbers: false)
    }

    private init(numbered: [(line: Int, value: Page)], source: String, lineNumbers: Bool) throws {
        guard !numbered.isEmpty else {
            throw InputError("the corpus is empty: expected at least one page {\"title\": …, \"text\": …}", source: source)
        }
        var exact: [String: Int] = [:]
        var loose: [String: Int] = [:]
        for (position, record) in numbered.enumerated() {
            let title = record.value.title
            let where_ = lineNumbers ? "line \(record.line)" : "page \(record.line)"
            if title.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw InputError("empty title", source: source, line: lineNumbers ? record.line : nil, field: "title")
            }
            if let first = exact[title] {
                let firstWhere = lineNumbers ? "line \(numbered[first].line)" : "page \(numbered[first].line)"
                throw InputError("duplicate title '\(title)' (\(where_) repeats \(firstWhere)); titles must be unique",
                                 source: source, line: lineNumbers ? record.line : nil, field: "title")
            }
            exact[title] = position
            let key = Self.looseKey(title)
            if loose[key] == nil { loose[key] = position }
        }
        self.pages = numbered.map(\.value)
        self.index = BM25Index(pages: pages)
        self.exactTitles = exact
        self.looseTitles = loose
    }

    /// Reads a JSON Lines file of `{"title": …, "text": …}` records; errors name the file and line.
    public static func load(from url: URL) throws -> Corpus {
        try Corpus(numbered: JSONLines.readNumbered(Page.self, from: url), source: url.path, lineNumbers: true)
    }

    /// The index of the page titled `title`: an exact match first, then a match ignoring case and
    /// runs of whitespace (leading and trailing whitespace never matters).
    public func pageIndex(titled title: String) -> Int? {
        if let exact = exactTitles[title] { return exact }
        let trimmed = title.trimmingCharacters(in: .whitespacesAndNewlines)
        if let exact = exactTitles[trimmed] { return exact }
        return looseTitles[Self.looseKey(trimmed)]
    }

    /// The page titled `title` (see `pageIndex(titled:)`).
    public func page(titled title: String) -> Page? {
        pageIndex(titled: title).map { pages[$0] }
    }

    /// Up to `limit` titles that best match `text` by BM25 (titles weigh more than text).
    public func closestTitles(to text: String, limit: Int = 3) -> [String] {
        index.search(text, limit: limit).map { pages[$0.document].title }
    }

    /// Lower-cased, whitespace runs collapsed to one space, trimmed.
    static func looseKey(_ title: String) -> String {
        title.lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
