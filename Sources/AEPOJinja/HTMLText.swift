/// HTML text as markupsafe handles it: `escape`d (jinja2's `escape` filter), and `Markup.striptags` (the `striptags`
/// filter): without its comments and tags, white space collapsed to single spaces, character references decoded.
enum HTMLText {
    /// markupsafe's `escape`: `& < > " '` as HTML entities.
    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&#34;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    static func strippingTags(_ html: String) -> String {
        var text = Array(html.unicodeScalars)
        for (open, close) in [("<!--", "-->"), ("<", ">")] {
            while let start = find(open, in: text, from: 0), let end = find(close, in: text, from: start) {
                text.removeSubrange(start..<(end + close.unicodeScalars.count))
            }
        }
        // Splitting on white space (no separator) cannot fail.
        let collapsed = ((try? PythonString.split(PythonString.string(text), nil)) ?? []).joined(separator: " ")
        return unescaped(collapsed)
    }

    private static func find(_ needle: String, in text: [Unicode.Scalar], from start: Int) -> Int? {
        let pattern = Array(needle.unicodeScalars)
        guard text.count >= pattern.count else { return nil }
        return (start...(text.count - pattern.count)).first { text[$0..<($0 + pattern.count)].elementsEqual(pattern) }
    }

    /// The named references every page uses.
    private static let named: [String: String] = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}"]

    /// `html.unescape` for numeric references (`&#39;`, `&#x27;`) and the common named ones; others are kept as written.
    static func unescaped(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView(), i = 0
        while i < scalars.count {
            guard scalars[i] == "&", let semicolon = scalars[i...].prefix(34).firstIndex(of: ";") else {
                out.append(scalars[i])
                i += 1
                continue
            }
            let body = PythonString.string(scalars[(i + 1)..<semicolon])
            var replacement: String?
            if body.hasPrefix("#x") || body.hasPrefix("#X"), let code = UInt32(body.dropFirst(2), radix: 16) {
                replacement = Unicode.Scalar(code).map(String.init) ?? "\u{FFFD}"
            } else if body.hasPrefix("#"), let code = UInt32(body.dropFirst()) {
                replacement = Unicode.Scalar(code).map(String.init) ?? "\u{FFFD}"
            } else {
                replacement = named[body]
            }
            if let replacement {
                out.append(contentsOf: replacement.unicodeScalars)
                i = semicolon + 1
            } else {
                out.append(scalars[i])
                i += 1
            }
        }
        return String(out)
    }
}
