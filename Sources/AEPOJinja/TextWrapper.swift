import Foundation

/// Python's `textwrap.wrap(text, width, expand_tabs=False, replace_whitespace=False, break_long_words,
/// break_on_hyphens)`, as jinja2's `wordwrap` filter calls it: the text in lines of at most `width` code points,
/// broken between words (and after the hyphens of hyphenated words), white space dropped at the line breaks.
struct TextWrapper {
    var width = 70
    var breakLongWords = true
    var breakOnHyphens = true

    /// textwrap's `wordsep_re`: runs of white space, em-dashes, and words (possibly hyphenated).
    private static let wordSeparator = try! NSRegularExpression(pattern: #"""
        ([\t\n\x{0B}\x{0C}\r ]+|(?<=[\w!"'&.,?])-{2,}(?=\w)|[^\t\n\x{0B}\x{0C}\r ]+?(?:-(?:(?<=[^\d\W]{2}-)|(?<=[^\d\W]-[^\d\W]-))(?=[^\d\W]-?[^\d\W])|(?=[\t\n\x{0B}\x{0C}\r ]|\z)|(?<=[\w!"'&.,?])(?=-{2,}\w)))
        """#)
    private static let whitespace = try! NSRegularExpression(pattern: #"[\t\n\x{0B}\x{0C}\r ]+"#)

    func wrap(_ text: String) throws -> [String] {
        guard width > 0 else { throw JinjaError.runtime("invalid width \(width) (must be > 0)") }
        var chunks = Array(Self.chunks(text, breakOnHyphens ? Self.wordSeparator : Self.whitespace).reversed())
        var lines: [String] = []
        let length = { (s: String) in s.unicodeScalars.count }
        let isBlank = { (s: String) in s.unicodeScalars.allSatisfy(PythonString.isSpace) }
        while !chunks.isEmpty {
            var line: [String] = [], lineLength = 0
            if let last = chunks.last, isBlank(last), !lines.isEmpty { chunks.removeLast() }
            while let last = chunks.last, lineLength + length(last) <= width {
                line.append(chunks.removeLast())
                lineLength += length(line.last!)
            }
            if let last = chunks.last, length(last) > width {
                breakLongWord(&chunks, &line, space: max(1, width - lineLength))
            }
            if let last = line.last, isBlank(last) { line.removeLast() }
            if !line.isEmpty { lines.append(line.joined()) }
        }
        return lines
    }

    /// textwrap's `_handle_long_word`: as much of the next chunk as fits (up to its last hyphen there, when breaking on
    /// hyphens), or all of it on a line of its own when long words are not broken.
    private func breakLongWord(_ chunks: inout [String], _ line: inout [String], space: Int) {
        guard breakLongWords else {
            if line.isEmpty { line.append(chunks.removeLast()) }
            return
        }
        let chunk = Array(chunks[chunks.count - 1].unicodeScalars)
        var end = space
        if breakOnHyphens && chunk.count > space, let hyphen = chunk[..<space].lastIndex(of: "-"), hyphen > 0,
           chunk[..<hyphen].contains(where: { $0 != "-" }) {
            end = hyphen + 1
        }
        line.append(PythonString.string(chunk.prefix(end)))
        chunks[chunks.count - 1] = PythonString.string(chunk.dropFirst(end))
    }

    /// `pattern.split(text)` without the empty pieces: the text between the matches and the matches, in order.
    private static func chunks(_ text: String, _ pattern: NSRegularExpression) -> [String] {
        let ns = text as NSString
        var pieces: [String] = [], start = 0
        for match in pattern.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
            pieces.append(ns.substring(with: NSRange(location: start, length: match.range.location - start)))
            pieces.append(ns.substring(with: match.range))
            start = match.range.location + match.range.length
        }
        pieces.append(ns.substring(from: start))
        return pieces.filter { !$0.isEmpty }
    }
}
