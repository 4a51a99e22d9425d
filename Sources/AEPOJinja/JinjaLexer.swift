/// Splits a template into tokens as jinja2's lexer does with `trim_blocks=True, lstrip_blocks=True` (how transformers
/// compiles chat templates):
/// - line breaks (`\r\n`, `\r`) become `\n`, and one trailing newline of the template is dropped;
/// - `{%-`, `{{-`, `{#-` remove all white space before the tag, `-%}`, `-}}`, `-#}` all white space after it;
/// - `trim_blocks`: the first newline after a block or comment tag is removed (`+%}` keeps it);
/// - `lstrip_blocks`: spaces and tabs from the start of a line up to a block or comment tag are removed (`{%+` keeps them);
/// - `{% raw %}…{% endraw %}` is text as written (its tags control white space as block tags do, except that the
///   newline right after `{% raw %}` is kept).
struct JinjaLexer {
    private let s: [Unicode.Scalar]
    private var position = 0
    private var line = 1
    /// Whether the text before the next tag starts a line (jinja2's `line_starting`): at the start, or after a tag
    /// whose end consumed a newline.
    private var lineStarting = true
    private var tokens: [JinjaToken] = []

    init(source: String) {
        var normalized = source.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        if normalized.hasSuffix("\n") { normalized.removeLast() }
        s = Array(normalized.unicodeScalars)
    }

    /// The tokens, ending with `.end`.
    static func tokenize(_ source: String) throws -> [JinjaToken] {
        var lexer = JinjaLexer(source: source)
        try lexer.run()
        return lexer.tokens
    }

    private mutating func run() throws {
        while position < s.count {
            guard let open = nextTagStart() else {
                emitText(Array(s[position...]))
                advance(to: s.count)
                break
            }
            let kind = s[open + 1]
            let sign = sign(at: open + 2)
            emitText(strippedBeforeTag(Array(s[position..<open]), sign: sign, lstrips: kind != "{"))
            advance(to: open)
            let tagLine = line
            advance(to: open + 2 + (sign == nil ? 0 : 1))
            switch kind {
            case "#": try skipComment(openedOn: tagLine)
            case "%" where rawTagEnd(after: position, name: "raw", closings: ["-%}", "%}"]) != nil: try lexRaw(openedOn: tagLine)
            case "%": try lexTag(block: true, openedOn: tagLine)
            default: try lexTag(block: false, openedOn: tagLine)
            }
        }
        tokens.append(JinjaToken(kind: .end, line: line))
    }

    /// The white-space control sign (`-` or `+`) at `index`, if any.
    private func sign(at index: Int) -> Unicode.Scalar? {
        index < s.count && (s[index] == "-" || s[index] == "+") ? s[index] : nil
    }

    /// The text before a tag opened with `sign`: without its trailing white space after `-`; without the spaces and
    /// tabs that start its last line when the tag `lstrips` (a block, comment or raw tag) with no sign.
    private func strippedBeforeTag(_ text: [Unicode.Scalar], sign: Unicode.Scalar?, lstrips: Bool) -> [Unicode.Scalar] {
        var text = text
        if sign == "-" {
            while let last = text.last, PythonString.isSpace(last) { text.removeLast() }
        } else if sign == nil && lstrips {
            let lineStart = (text.lastIndex(of: "\n") ?? -1) + 1
            if (lineStart > 0 || lineStarting) && lineStart < text.count && text[lineStart...].allSatisfy(PythonString.isSpace) {
                text.removeSubrange(lineStart...)
            }
        }
        return text
    }

    /// Where `name` and one of `closings` (after optional white space each) end, read from `index`; nil when that is
    /// not what follows.
    private func rawTagEnd(after index: Int, name: String, closings: [String]) -> (end: Int, closing: String)? {
        var i = index
        while i < s.count && PythonString.isSpace(s[i]) { i += 1 }
        guard matches(name, at: i) else { return nil }
        i += name.unicodeScalars.count
        while i < s.count && PythonString.isSpace(s[i]) { i += 1 }
        guard let closing = closings.first(where: { matches($0, at: i) }) else { return nil }
        return (i + closing.unicodeScalars.count, closing)
    }

    /// The rest of `{% raw %}` from its name, the text up to `{% endraw %}` as it is, and that tag.
    private mutating func lexRaw(openedOn tagLine: Int) throws {
        let (begin, opening) = rawTagEnd(after: position, name: "raw", closings: ["-%}", "%}"])!
        advance(to: begin)
        if opening == "-%}" {
            var end = position
            while end < s.count && PythonString.isSpace(s[end]) { end += 1 }
            advance(to: end)
        }
        lineStarting = position > 0 && s[position - 1] == "\n"
        var i = position
        while i + 1 < s.count {
            if s[i] == "{" && s[i + 1] == "%" {
                let sign = sign(at: i + 2)
                let nameStart = i + 2 + (sign == nil ? 0 : 1)
                if let (end, closing) = rawTagEnd(after: nameStart, name: "endraw", closings: ["+%}", "-%}", "%}"]) {
                    emitText(strippedBeforeTag(Array(s[position..<i]), sign: sign, lstrips: true))
                    advance(to: end - 2)
                    finishTag(closeLength: 2, sign: closing.count == 3 ? closing.unicodeScalars.first : nil, trimsNewline: true)
                    return
                }
            }
            i += 1
        }
        throw JinjaError(.syntax, "Missing end of raw directive", line: tagLine)
    }

    /// The index of the next `{{`, `{%` or `{#` at or after `position`.
    private func nextTagStart() -> Int? {
        var i = position
        while i + 1 < s.count {
            if s[i] == "{" && (s[i + 1] == "{" || s[i + 1] == "%" || s[i + 1] == "#") { return i }
            i += 1
        }
        return nil
    }

    private mutating func emitText(_ text: [Unicode.Scalar]) {
        if !text.isEmpty { tokens.append(JinjaToken(kind: .text(PythonString.string(text)), line: line)) }
    }

    /// Moves to `index`, counting the newlines passed.
    private mutating func advance(to index: Int) {
        while position < index {
            if s[position] == "\n" { line += 1 }
            position += 1
        }
    }

    private func matches(_ literal: String, at index: Int) -> Bool {
        var i = index
        for scalar in literal.unicodeScalars {
            guard i < s.count, s[i] == scalar else { return false }
            i += 1
        }
        return true
    }

    /// After `-%}`, `-}}` or `-#}`: all white space; after `%}` or `#}`: one newline (`trim_blocks`).
    private mutating func finishTag(closeLength: Int, sign: Unicode.Scalar?, trimsNewline: Bool) {
        advance(to: position + closeLength)
        if sign == "-" {
            var end = position
            while end < s.count && PythonString.isSpace(s[end]) { end += 1 }
            advance(to: end)
        } else if sign == nil && trimsNewline && position < s.count && s[position] == "\n" {
            advance(to: position + 1)
        }
        lineStarting = position > 0 && s[position - 1] == "\n"
    }

    private mutating func skipComment(openedOn tagLine: Int) throws {
        var i = position
        while i < s.count {
            for sign in ["-", "+", ""] where matches(sign + "#}", at: i) {
                advance(to: i)
                finishTag(closeLength: sign.unicodeScalars.count + 2, sign: sign.unicodeScalars.first, trimsNewline: true)
                return
            }
            i += 1
        }
        throw JinjaError(.syntax, "missing end of comment tag", line: tagLine)
    }

    private mutating func lexTag(block: Bool, openedOn tagLine: Int) throws {
        tokens.append(JinjaToken(kind: block ? .blockBegin : .variableBegin, line: tagLine))
        let close = block ? "%}" : "}}"
        var brackets: [Unicode.Scalar] = []
        while true {
            guard position < s.count else {
                throw JinjaError(.syntax, "unexpected end of template: the tag opened on line \(tagLine) is not closed", line: line)
            }
            if brackets.isEmpty {
                for sign in block ? ["-", "+", ""] : ["-", ""] where matches(sign + close, at: position) {
                    tokens.append(JinjaToken(kind: block ? .blockEnd : .variableEnd, line: line))
                    finishTag(closeLength: sign.unicodeScalars.count + 2, sign: sign.unicodeScalars.first, trimsNewline: block)
                    return
                }
            }
            let c = s[position]
            if PythonString.isSpace(c) {
                advance(to: position + 1)
            } else if ("0"..."9").contains(c) {
                try lexNumber()
            } else if c == "_" || c.properties.isAlphabetic {
                var end = position
                while end < s.count && (s[end] == "_" || s[end].properties.isAlphabetic || ("0"..."9").contains(s[end])) { end += 1 }
                tokens.append(JinjaToken(kind: .name(PythonString.string(s[position..<end])), line: line))
                advance(to: end)
            } else if c == "'" || c == "\"" {
                try lexString(quote: c)
            } else {
                try lexOperator(brackets: &brackets)
            }
        }
    }

    private static let operators = ["//", "**", "==", "!=", ">=", "<=",
                                    "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"]

    private mutating func lexOperator(brackets: inout [Unicode.Scalar]) throws {
        guard let op = Self.operators.first(where: { matches($0, at: position) }) else {
            throw JinjaError(.syntax, "unexpected character '\(s[position])'", line: line)
        }
        switch op {
        case "(": brackets.append(")")
        case "[": brackets.append("]")
        case "{": brackets.append("}")
        case ")", "]", "}":
            guard let expected = brackets.popLast() else { throw JinjaError(.syntax, "unexpected '\(op)'", line: line) }
            guard String(expected) == op else { throw JinjaError(.syntax, "unexpected '\(op)', expected '\(expected)'", line: line) }
        default: break
        }
        tokens.append(JinjaToken(kind: .operator(op), line: line))
        advance(to: position + op.unicodeScalars.count)
    }

    private func isDigit(_ i: Int) -> Bool { i < s.count && ("0"..."9").contains(s[i]) }

    /// Digits with single underscores between them (`1_000`), from `i`; returns the end.
    private func digitRun(from i: Int) -> Int {
        var end = i
        while isDigit(end) || (end < s.count && s[end] == "_" && isDigit(end + 1) && end > i) { end += 1 }
        return end
    }

    /// An integer (decimal, or `0x`/`0o`/`0b`) or a float (with a fraction or an exponent).
    private mutating func lexNumber() throws {
        let start = position
        if s[start] == "0", start + 1 < s.count, let radix = ["x": 16, "o": 8, "b": 2][Character(s[start + 1]).lowercased()] {
            var end = start + 2
            while end < s.count && (s[end] == "_" || Character(s[end]).isHexDigit) { end += 1 }
            let digits = PythonString.string(s[(start + 2)..<end]).replacingOccurrences(of: "_", with: "")
            guard let value = Int(digits, radix: radix) else { throw JinjaError(.syntax, "invalid number literal", line: line) }
            tokens.append(JinjaToken(kind: .integer(value), line: line))
            advance(to: end)
            return
        }
        var end = digitRun(from: start)
        var isFloat = false
        let afterDot = start > 0 && s[start - 1] == "."
        if !afterDot && end < s.count && s[end] == "." && isDigit(end + 1) {
            end = digitRun(from: end + 1)
            isFloat = true
        }
        if !afterDot && end < s.count && (s[end] == "e" || s[end] == "E") {
            var exponent = end + 1
            if exponent < s.count && (s[exponent] == "+" || s[exponent] == "-") { exponent += 1 }
            if isDigit(exponent) {
                end = digitRun(from: exponent)
                isFloat = true
            }
        }
        let literal = PythonString.string(s[start..<end]).replacingOccurrences(of: "_", with: "")
        if isFloat {
            guard let value = Double(literal) else { throw JinjaError(.syntax, "invalid number literal '\(literal)'", line: line) }
            tokens.append(JinjaToken(kind: .float(value), line: line))
        } else {
            guard let value = Int(literal) else { throw JinjaError(.syntax, "integer literal '\(literal)' is too large", line: line) }
            tokens.append(JinjaToken(kind: .integer(value), line: line))
        }
        advance(to: end)
    }

    /// A quoted string with Python's escapes (`\n`, `\t`, `\\`, `\'`, `\xhh`, `\uXXXX`, octal …); an unknown escape
    /// keeps its backslash.
    private mutating func lexString(quote: Unicode.Scalar) throws {
        let tokenLine = line
        var i = position + 1
        var value = String.UnicodeScalarView()
        while true {
            guard i < s.count else { throw JinjaError(.syntax, "unterminated string", line: tokenLine) }
            let c = s[i]
            if c == quote { break }
            guard c == "\\", i + 1 < s.count else {
                value.append(c)
                i += 1
                continue
            }
            let e = s[i + 1]
            i += 2
            switch e {
            case "\n": break
            case "\\", "'", "\"": value.append(e)
            case "a": value.append("\u{07}")
            case "b": value.append("\u{08}")
            case "f": value.append("\u{0C}")
            case "n": value.append("\n")
            case "r": value.append("\r")
            case "t": value.append("\t")
            case "v": value.append("\u{0B}")
            case "x", "u", "U":
                let width = e == "x" ? 2 : e == "u" ? 4 : 8
                guard i + width <= s.count, let code = UInt32(PythonString.string(s[i..<(i + width)]), radix: 16),
                      let scalar = Unicode.Scalar(code) else {
                    throw JinjaError(.syntax, "truncated \\\(e) escape in a string", line: line)
                }
                value.append(scalar)
                i += width
            case "0"..."7":
                var code = e.value - 48, digits = 1
                while digits < 3, i < s.count, ("0"..."7").contains(s[i]) {
                    code = code * 8 + s[i].value - 48
                    digits += 1
                    i += 1
                }
                value.append(Unicode.Scalar(code)!)
            default:
                value.append("\\")
                value.append(e)
            }
        }
        tokens.append(JinjaToken(kind: .string(String(value)), line: tokenLine))
        advance(to: i + 1)
    }
}
