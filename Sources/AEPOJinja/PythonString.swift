/// Python's `str` operations that templates call (`strip`, `split`, `title`, …), by Unicode code point as Python
/// counts characters.
enum PythonString {
    /// Python's `str.isspace` for one code point: Unicode white space plus the information separators U+001C–U+001F.
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value)
    }

    /// Whether regular expressions' `\w` matches the code point: a letter, a number or `_` (Python's `isalnum`).
    static func isWord(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return scalar == "_" || scalar.properties.numericType != nil
        }
    }

    /// `s.strip(chars)`, `lstrip`, `rstrip`: drops leading and/or trailing code points that are in `chars`
    /// (white space when nil).
    static func strip(_ s: String, _ chars: String?, leading: Bool = true, trailing: Bool = true) -> String {
        let set = chars.map { Set($0.unicodeScalars) }
        let drop = { (c: Unicode.Scalar) in set?.contains(c) ?? isSpace(c) }
        var scalars = Array(s.unicodeScalars)[...]
        if leading { while let first = scalars.first, drop(first) { scalars.removeFirst() } }
        if trailing { while let last = scalars.last, drop(last) { scalars.removeLast() } }
        return string(scalars)
    }

    /// `s.split(separator, maxsplit)`: on runs of white space (ignoring them at the ends) when `separator` is nil,
    /// else on each occurrence of `separator`; at most `maxSplits` splits when ≥ 0.
    static func split(_ s: String, _ separator: String?, maxSplits: Int = -1) throws -> [String] {
        let scalars = Array(s.unicodeScalars)
        var parts: [String] = []
        guard let separator else {
            var i = 0
            while true {
                while i < scalars.count && isSpace(scalars[i]) { i += 1 }
                if i == scalars.count { break }
                if maxSplits >= 0 && parts.count == maxSplits {
                    parts.append(string(scalars[i...]))
                    break
                }
                let start = i
                while i < scalars.count && !isSpace(scalars[i]) { i += 1 }
                parts.append(string(scalars[start..<i]))
            }
            return parts
        }
        let needle = Array(separator.unicodeScalars)
        guard !needle.isEmpty else { throw JinjaError.runtime("empty separator") }
        var start = 0, i = 0
        while i + needle.count <= scalars.count && (maxSplits < 0 || parts.count < maxSplits) {
            if scalars[i..<i + needle.count].elementsEqual(needle) {
                parts.append(string(scalars[start..<i]))
                i += needle.count
                start = i
            } else {
                i += 1
            }
        }
        parts.append(string(scalars[start...]))
        return parts
    }

    /// `s.replace(old, new, count)`: the first `count` occurrences (all when negative), left to right.
    static func replace(_ s: String, _ old: String, _ new: String, count: Int = -1) -> String {
        let scalars = Array(s.unicodeScalars), needle = Array(old.unicodeScalars)
        var out = String.UnicodeScalarView(), i = 0, done = 0
        func replacing() -> Bool {
            guard count < 0 || done < count else { return false }
            out.append(contentsOf: new.unicodeScalars)
            done += 1
            return true
        }
        guard !needle.isEmpty else {
            // Python puts `new` before every character and at the end.
            for scalar in scalars {
                _ = replacing()
                out.append(scalar)
            }
            _ = replacing()
            return String(out)
        }
        while i < scalars.count {
            if i + needle.count <= scalars.count && scalars[i..<i + needle.count].elementsEqual(needle) && replacing() {
                i += needle.count
            } else {
                out.append(scalars[i])
                i += 1
            }
        }
        return String(out)
    }

    /// `s.title()`: each cased letter upper-case after an uncased character, lower-case after a cased one.
    static func title(_ s: String) -> String {
        var out = "", previousIsCased = false
        for scalar in s.unicodeScalars {
            let piece = String(scalar)
            out += previousIsCased ? piece.lowercased() : piece.uppercased()
            previousIsCased = scalar.properties.isCased
        }
        return out
    }

    /// `s.capitalize()`: the first character upper-case, the rest lower-case.
    static func capitalize(_ s: String) -> String {
        guard let first = s.unicodeScalars.first else { return s }
        return String(first).uppercased() + String(String.UnicodeScalarView(s.unicodeScalars.dropFirst())).lowercased()
    }

    /// Python's ordering of strings: by code point.
    static func precedes(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) { $0.value < $1.value }
    }

    /// `s.splitlines()`: the lines without their line breaks.
    static func lines(_ s: String) -> [String] {
        var lines: [String] = [], current = String.UnicodeScalarView(), pendingReturn = false
        for scalar in s.unicodeScalars {
            if pendingReturn {
                pendingReturn = false
                if scalar == "\n" { continue }
            }
            switch scalar.value {
            case 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029:
                lines.append(String(current))
                current = String.UnicodeScalarView()
                pendingReturn = scalar == "\r"
            default:
                current.append(scalar)
            }
        }
        if !current.isEmpty { lines.append(String(current)) }
        return lines
    }

    static func string<S: Sequence>(_ scalars: S) -> String where S.Element == Unicode.Scalar {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    /// Python's `ascii(text)`: the code points past ASCII as `\xhh`, `\uhhhh` or `\Uhhhhhhhh`.
    static func ascii(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            let hex = String(scalar.value, radix: 16)
            switch scalar.value {
            case ..<0x80: out.unicodeScalars.append(scalar)
            case ..<0x100: out += "\\x" + hex.leftPadded(to: 2)
            case ..<0x10000: out += "\\u" + hex.leftPadded(to: 4)
            default: out += "\\U" + hex.leftPadded(to: 8)
            }
        }
        return out
    }
}
