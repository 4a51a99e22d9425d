import Foundation

/// `open`: the full text of a page, given its title, as `<title>\n<text>`.
///
/// The title matches exactly, else ignoring case and whitespace runs (`Corpus.pageIndex(titled:)`);
/// otherwise the error lists the closest titles by BM25. Output longer than `maxCharacters` is cut
/// and ends with `[... truncated: showing N of M characters]`.
public struct PageReaderTool: Tool {
    public let name = "open"
    public let kind = ToolKind.search
    public let corpus: Corpus
    public let maxCharacters: Int
    /// Longest accepted title, in characters.
    public let maxTitleCharacters: Int

    public init(corpus: Corpus, maxCharacters: Int = 2000, maxTitleCharacters: Int = 200) {
        self.corpus = corpus
        self.maxCharacters = max(maxCharacters, 1)
        self.maxTitleCharacters = maxTitleCharacters
    }

    public func call(_ input: String) -> String {
        let title = input.trimmingCharacters(in: .whitespacesAndNewlines)
        if title.isEmpty { return "Error: give the title of the page to open." }
        if title.count > maxTitleCharacters {
            return "Error: page title too long (\(title.count) characters; the limit is \(maxTitleCharacters))."
        }
        guard let page = corpus.page(titled: title) else {
            let close = corpus.closestTitles(to: title, limit: 3)
            let hint = close.isEmpty ? "" : " Closest titles: " + close.joined(separator: "; ") + "."
            return "Error: no page titled '\(title)'.\(hint)"
        }
        return (page.title + "\n" + page.text).truncated(to: maxCharacters)
    }
}
