/// jinja2 3.1's `urlize`: HTML-escaped text whose URLs (`http://`, `https://`, `www.`, a domain under `.com`, `.org`, …)
/// and email addresses (`mailto:` or bare) become links, word by word; punctuation around a link (opening brackets
/// before, closing ones, `.` and `,` after) stays outside it unless brackets balance inside.
enum URLLinks {
    /// `text` with its links: a URL's `<a>` carries `rel` and `target` when given, and shows the URL cut to
    /// `trimLimit` characters (then `...`); a word starting with one of `extraSchemes` is a link too.
    static func urlize(_ text: String, trimLimit: Int?, rel: String?, target: String?, extraSchemes: [String]) throws -> String {
        // jinja2's `_http_re` and `_email_re`, Python's `\w` as letters, numbers and `_`, its `\d` as decimal digits.
        let http = try Regex(#"(?:(?:https?://|www\.)(?:(?:[\p{L}\p{N}_%-]+\.)+)?(?:[a-z]{2,63}|xn--[\p{L}\p{N}_%]{2,59})"#
                             + #"|(?:[\p{L}\p{N}_%-]{2,63}\.)+(?:com|net|int|edu|gov|org|info|mil)"#
                             + #"|https?://(?:\p{Nd}{1,3}(?:\.\p{Nd}{1,3}){3}|\[(?:[\p{Nd}a-f]{0,4}:){2}(?:[\p{Nd}a-f]{0,4}:?){1,6}\]))"#
                             + #"(?::\p{Nd}{1,5})?(?:[/?#]\S*)?"#).ignoresCase().matchingSemantics(.unicodeScalar)
        let email = try Regex(#"\S+@[\p{L}\p{N}_][\p{L}\p{N}_.-]*\.[\p{L}\p{N}_]+"#).matchingSemantics(.unicodeScalar)
        let attributes = (rel.map { " rel=\"\(HTMLText.escaped($0))\"" } ?? "") + (target.map { " target=\"\(HTMLText.escaped($0))\"" } ?? "")
        func shown(_ url: String) -> String {
            guard let trimLimit, url.unicodeScalars.count > trimLimit else { return url }
            return PythonString.string(url.unicodeScalars.prefix(trimLimit >= 0 ? trimLimit : max(0, url.unicodeScalars.count + trimLimit))) + "..."
        }
        return pieces(of: HTMLText.escaped(text)).map { piece in
            var (head, middle, tail) = ("", piece, "")
            while let lead = ["(", "<", "&lt;"].first(where: { starts(middle, with: $0) }) {
                head += lead
                middle = PythonString.string(middle.unicodeScalars.dropFirst(lead.unicodeScalars.count))
            }
            while let trail = [")", ">", ".", ",", "\n", "&gt;"].first(where: { starts(middle, with: $0, fromEnd: true) }) {
                tail = trail + tail
                middle = PythonString.string(middle.unicodeScalars.dropLast(trail.unicodeScalars.count))
            }
            // Closing brackets move back from the tail while the link opens more than it closes.
            for (open, close) in [("(", ")"), ("<", ">"), ("&lt;", "&gt;")] {
                let opened = occurrences(of: open, in: middle)
                guard opened > occurrences(of: close, in: middle) else { continue }
                for _ in 0..<min(opened, occurrences(of: close, in: tail)) {
                    let end = Array(tail.unicodeScalars).firstRange(of: Array(close.unicodeScalars))!.upperBound
                    middle += PythonString.string(tail.unicodeScalars.prefix(end))
                    tail = PythonString.string(tail.unicodeScalars.dropFirst(end))
                }
            }
            if middle.wholeMatch(of: http) != nil {
                let href = starts(middle, with: "https://") || starts(middle, with: "http://") ? middle : "https://" + middle
                middle = "<a href=\"\(href)\"\(attributes)>\(shown(middle))</a>"
            } else if starts(middle, with: "mailto:"), case let address = PythonString.string(middle.unicodeScalars.dropFirst(7)),
                      address.wholeMatch(of: email) != nil {
                middle = "<a href=\"\(middle)\">\(address)</a>"
            } else if middle.unicodeScalars.contains("@"), !starts(middle, with: "www."), !starts(middle, with: "@"),
                      !middle.unicodeScalars.contains(":"), middle.wholeMatch(of: email) != nil {
                middle = "<a href=\"mailto:\(middle)\">\(middle)</a>"
            } else {
                for scheme in extraSchemes where middle != scheme && starts(middle, with: scheme) {
                    middle = "<a href=\"\(middle)\"\(attributes)>\(middle)</a>"
                }
            }
            return head + middle + tail
        }.joined()
    }

    /// Whether `scheme` may start a link (jinja2's `_uri_scheme_re`): two or more letters, digits or `_.+-`, then `:`
    /// and up to two `/`.
    static func isSchemePrefix(_ scheme: String) throws -> Bool {
        scheme.wholeMatch(of: try Regex(#"[\p{L}\p{N}_.+-]{2,}:/{0,2}"#).matchingSemantics(.unicodeScalar)) != nil
    }

    /// `re.split(r"(\s+)", text)`: the words and the runs of white space between them, in order.
    private static func pieces(of text: String) -> [String] {
        var pieces: [String] = [], current = String.UnicodeScalarView(), inSpace = false
        for scalar in text.unicodeScalars {
            if PythonString.isSpace(scalar) != inSpace {
                pieces.append(String(current))
                current = String.UnicodeScalarView()
                inSpace.toggle()
            }
            current.append(scalar)
        }
        return pieces + [String(current)] + (inSpace ? [""] : [])
    }

    /// Whether `text` starts (or ends) with `affix`, code point by code point.
    private static func starts(_ text: String, with affix: String, fromEnd: Bool = false) -> Bool {
        fromEnd ? text.unicodeScalars.reversed().starts(with: affix.unicodeScalars.reversed()) : text.unicodeScalars.starts(with: affix.unicodeScalars)
    }

    /// Python's `text.count(part)`: non-overlapping occurrences.
    private static func occurrences(of part: String, in text: String) -> Int {
        var rest = Array(text.unicodeScalars)[...], count = 0
        let needle = Array(part.unicodeScalars)
        while let range = rest.firstRange(of: needle) {
            count += 1
            rest = rest[range.upperBound...]
        }
        return count
    }
}
