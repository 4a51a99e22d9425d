import Foundation

/// A string literal of the calculator's language, read as Python reads one: `'…'` or `"…"` on one line, a
/// backslash escaping the next character (so `\'`, `\"` and a backslash before a newline do not end it).
///
/// Escapes decode as in Python: `\\ \' \" \a \b \f \n \r \t \v`, a backslash before a newline (nothing),
/// octal `\o`…`\ooo`, `\xhh`, `\uhhhh`, `\Uhhhhhhhh` and `\N{name}` (Unicode character names, in any case;
/// the aliases Python also accepts, such as `LF`, are not known); any other backslash stays, as in Python.
/// A malformed escape is Python's `SyntaxError`, positions counted in UTF-8 bytes of the literal's body.
enum CalculatorStringLiteral {
    /// The text of the literal whose opening quote is at `start`, and the index after its closing quote.
    static func read(_ characters: [Unicode.Scalar], from start: Int) throws -> (text: String, next: Int) {
        let quote = characters[start]
        var end = start + 1
        while end < characters.count && characters[end] != quote && characters[end] != "\n" {
            end += characters[end] == "\\" ? 2 : 1
        }
        guard end < characters.count && characters[end] == quote else {
            throw CalculatorError("SyntaxError: unterminated string literal")
        }
        return (try decode(Array(characters[(start + 1)..<end])), end + 1)
    }

    /// `body` (what stands between the quotes) with its escapes decoded.
    static func decode(_ body: [Unicode.Scalar]) throws -> String {
        var text = String.UnicodeScalarView()
        var index = 0
        /// Python's error for the escape in `start..<end`.
        func failure(_ start: Int, _ end: Int, _ reason: String) -> CalculatorError {
            CalculatorError("SyntaxError: (unicode error) 'unicodeescape' codec can't decode bytes in position "
                            + "\(pythonOffset(of: start, in: body))-\(pythonOffset(of: end, in: body) - 1): \(reason)")
        }
        while index < body.count {
            let start = index
            guard body[index] == "\\", index + 1 < body.count else {
                text.append(body[index])
                index += 1
                continue
            }
            let escape = body[index + 1]
            index += 2
            switch escape {
            case "\n": break
            case "\\", "'", "\"": text.append(escape)
            case "a": text.append("\u{07}")
            case "b": text.append("\u{08}")
            case "f": text.append("\u{0C}")
            case "n": text.append("\n")
            case "r": text.append("\r")
            case "t": text.append("\t")
            case "v": text.append("\u{0B}")
            case "0"..."7":
                var value = escape.value - 0x30
                while index < body.count, index < start + 4, ("0"..."7").contains(body[index]) {
                    value = value * 8 + body[index].value - 0x30
                    index += 1
                }
                text.append(Unicode.Scalar(value)!)
            case "x", "u", "U":
                let digits = escape == "x" ? 2 : escape == "u" ? 4 : 8
                var value: UInt32 = 0
                for _ in 0..<digits {
                    guard index < body.count, let digit = body[index].properties.isASCIIHexDigit
                            ? UInt32(String(body[index]), radix: 16) : nil else {
                        throw failure(start, index, "truncated \\\(escape)\(String(repeating: "X", count: digits)) escape")
                    }
                    value = value << 4 | digit
                    index += 1
                }
                guard value <= 0x10FFFF else { throw failure(start, index, "illegal Unicode character") }
                guard let scalar = Unicode.Scalar(value) else {
                    throw CalculatorError("UnicodeEncodeError: 'utf-8' codec can't encode character '\\u\(String(value, radix: 16))': surrogates not allowed")
                }
                text.append(scalar)
            case "N":
                let malformed = "malformed \\N character escape"
                guard index < body.count, body[index] == "{" else { throw failure(start, index, malformed) }
                guard let close = body[(index + 1)...].firstIndex(of: "}") else { throw failure(start, body.count, malformed) }
                guard close > index + 1 else { throw failure(start, close, malformed) }
                let name = String(String.UnicodeScalarView(body[(index + 1)..<close]))
                index = close + 1
                guard let scalar = character(named: name) else { throw failure(start, index, "unknown Unicode character name") }
                text.append(scalar)
            default:
                text.append("\\")
                text.append(escape)
            }
        }
        return String(text)
    }

    /// Where CPython's decoder places index `index` of `body`: it first rewrites each non-ASCII character as a
    /// 10-byte `\UXXXXXXXX` (and a backslash before one as `\u005c`), then counts bytes.
    private static func pythonOffset(of index: Int, in body: [Unicode.Scalar]) -> Int {
        var offset = 0
        var position = 0
        while position < index {
            let character = body[position]
            position += 1
            guard character == "\\" else {
                offset += character.isASCII ? 1 : 10
                continue
            }
            offset += 1
            if position == body.count || !body[position].isASCII {
                offset += 5
            } else if position < index {
                offset += 1  // the escaped ASCII character
                position += 1
            }
        }
        return offset
    }

    /// The character whose Unicode name is `name` (any case), as Foundation's name transform knows it.
    static func character(named name: String) -> Unicode.Scalar? {
        let escaped = "\\N{\(name)}"
        guard let resolved = escaped.applyingTransform(.toUnicodeName, reverse: true), resolved != escaped,
              resolved.unicodeScalars.count == 1 else { return nil }
        return resolved.unicodeScalars.first
    }
}
