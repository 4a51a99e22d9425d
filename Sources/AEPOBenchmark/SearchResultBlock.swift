/// One hit of the `search` tool's output (`Page i: <title>\n<snippet>`, hits separated by a blank line).
struct SearchResultBlock: Equatable, Sendable {
    var title: String
    var snippet: String

    static func parse(_ output: String) -> [SearchResultBlock] {
        output.split(separator: "\n\n").compactMap { block in
            let lines = block.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
            guard let header = lines.first, header.hasPrefix("Page "), let colon = header.firstIndex(of: ":") else { return nil }
            let title = header[header.index(after: colon)...].drop { $0 == " " }
            return SearchResultBlock(title: String(title), snippet: lines.count > 1 ? String(lines[1]) : "")
        }
    }
}
