/// Python's `str.format` and `str.format_map` as jinja2's sandbox runs them (`string.Formatter` over the template's
/// values): literal text with `{{` and `}}` for braces, and replacement fields `{[name][!conversion][:format_spec]}` — an
/// automatic or explicit position, or a keyword, followed by `.attribute` and `[key]` lookups (read as the template
/// reads them), `!s`, `!r` or `!a`, and a specification (which may hold fields of its own) applied as Python's
/// `format()` applies it to the value's type (`FormatSpec`).
enum StringFormatter {
    static func format(_ text: String, _ positional: [JinjaValue], _ keywords: JinjaDictionary) throws -> String {
        var automatic: Int? = 0
        return try format(text, positional, keywords, depth: 2, automatic: &automatic)
    }

    /// `string.Formatter._vformat`: `automatic` is the next automatic position, nil once a field named a position.
    private static func format(_ text: String, _ positional: [JinjaValue], _ keywords: JinjaDictionary, depth: Int,
                               automatic: inout Int?) throws -> String {
        guard depth >= 0 else { throw JinjaError.runtime("Max string recursion exceeded") }
        let s = Array(text.unicodeScalars)
        var out = "", i = 0
        while i < s.count {
            let c = s[i]
            i += 1
            if c == "}" {
                guard i < s.count && s[i] == "}" else { throw JinjaError.runtime("Single '}' encountered in format string") }
                out += "}"
                i += 1
            } else if c != "{" {
                out.unicodeScalars.append(c)
            } else if i < s.count && s[i] == "{" {
                out += "{"
                i += 1
            } else {
                guard i < s.count else { throw JinjaError.runtime("Single '{' encountered in format string") }
                let field = try Field(s, at: &i)
                var name = field.name
                if name.isEmpty {
                    guard let next = automatic else {
                        throw JinjaError.runtime("cannot switch from manual field specification to automatic field numbering")
                    }
                    name = String(next)
                    automatic = next + 1
                } else if name.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) {
                    if let next = automatic, next > 0 {
                        throw JinjaError.runtime("cannot switch from manual field specification to automatic field numbering")
                    }
                    automatic = nil
                }
                let value = try converted(try lookup(name, positional, keywords), field.conversion)
                let spec = try format(field.spec, positional, keywords, depth: depth - 1, automatic: &automatic)
                out += try formatted(value, spec: spec)
            }
        }
        return out
    }

    /// A replacement field's parts, `name!conversion:format_spec}`, read as CPython's `parse_field` reads them.
    private struct Field {
        var name = "", conversion: Unicode.Scalar?, spec = ""

        /// Reads the field that starts at `i` (after its `{`), leaving `i` after its `}`.
        init(_ s: [Unicode.Scalar], at i: inout Int) throws {
            let start = i
            var c: Unicode.Scalar = "{"
            scan: while i < s.count {
                c = s[i]
                i += 1
                switch c {
                case "{": throw JinjaError.runtime("unexpected '{' in field name")
                case "[": while i < s.count && s[i] != "]" { i += 1 }
                case "}", ":", "!": break scan
                default: continue
                }
            }
            guard c == "}" || c == ":" || c == "!" else { throw JinjaError.runtime("expected '}' before end of string") }
            name = PythonString.string(s[start..<(i - 1)])
            if c == "!" {
                guard i < s.count else { throw JinjaError.runtime("end of string while looking for conversion specifier") }
                conversion = s[i]
                i += 1
                if i < s.count {
                    i += 1
                    if s[i - 1] == "}" { return }
                    guard s[i - 1] == ":" else { throw JinjaError.runtime("expected ':' after conversion specifier") }
                }
            }
            guard c != "}" else { return }
            let specStart = i
            var level = 1
            while i < s.count {
                i += 1
                if s[i - 1] == "{" { level += 1 } else if s[i - 1] == "}" { level -= 1 }
                if level == 0 {
                    spec = PythonString.string(s[specStart..<(i - 1)])
                    return
                }
            }
            throw JinjaError.runtime("unmatched '{' in format spec")
        }
    }

    /// The value a field name reads: a position or keyword, then each `.attribute` or `[key]` (digits: a position).
    private static func lookup(_ name: String, _ positional: [JinjaValue], _ keywords: JinjaDictionary) throws -> JinjaValue {
        let s = Array(name.unicodeScalars)
        var i = 0
        while i < s.count && s[i] != "." && s[i] != "[" { i += 1 }
        let first = PythonString.string(s[..<i])
        var value: JinjaValue
        if !first.isEmpty, let index = Int(first), first.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) {
            guard index < positional.count else { throw JinjaError.runtime("tuple index out of range") }
            value = positional[index]
        } else {
            guard let keyword = keywords[first] else { throw JinjaError.runtime(JinjaValue.pythonRepr(first)) }
            value = keyword
        }
        while i < s.count {
            let attribute = s[i] == "."
            i += 1
            let start = i
            while i < s.count && (attribute ? s[i] != "." && s[i] != "[" : s[i] != "]") { i += 1 }
            let part = PythonString.string(s[start..<i])
            if attribute {
                guard !part.isEmpty else { throw JinjaError.runtime("Empty attribute in format string") }
                value = try value.attribute(part)
            } else {
                guard i < s.count else { throw JinjaError.runtime("Missing ']' in format string") }
                guard !part.isEmpty else { throw JinjaError.runtime("Empty attribute in format string") }
                i += 1
                guard i == s.count || s[i] == "." || s[i] == "[" else {
                    throw JinjaError.runtime("Only '.' or '[' may follow ']' in format field specifier")
                }
                let isIndex = part.unicodeScalars.allSatisfy { ("0"..."9").contains($0) }
                value = try value.item(isIndex ? .integer(Int(part) ?? .max) : .string(part))
            }
        }
        return value
    }

    /// The value after `!s`, `!r` or `!a`.
    private static func converted(_ value: JinjaValue, _ conversion: Unicode.Scalar?) throws -> JinjaValue {
        guard let conversion else { return value }
        let repr = value.isUndefined ? "Undefined" : value.repr
        switch conversion {
        case "s": return .string(value.text)
        case "r": return .string(repr)
        case "a": return .string(PythonString.ascii(repr))
        default: throw JinjaError.runtime("Unknown conversion specifier \(conversion)")
        }
    }

    /// Python's `format(value, format_spec)` for the value's type: strings, integers (and `bool`s), floats; any other value only
    /// with an empty specification, as its `str`.
    private static func formatted(_ value: JinjaValue, spec text: String) throws -> String {
        func unknown(_ type: Character?) -> JinjaError {
            JinjaError.runtime("Unknown format code '\(type.map(String.init) ?? "")' for object of type '\(value.typeName)'")
        }
        switch value {
        case .string(let s):
            let spec = try FormatSpec(parsing: text, defaultAlign: "<", typeName: value.typeName)
            guard spec.type == nil || spec.type == "s" else { throw unknown(spec.type) }
            if spec.sign != "-" { throw JinjaError.runtime("Sign not allowed in string format specifier") }
            if spec.alternate { throw JinjaError.runtime("Alternate form (#) not allowed in string format specifier") }
            if spec.align == "=" { throw JinjaError.runtime("'=' alignment not allowed in string format specifier") }
            if let grouping = spec.grouping { throw JinjaError.runtime("Cannot specify '\(grouping)' with 's'.") }
            return spec.string(s)
        case .integer, .boolean:
            guard !text.isEmpty else { return value.text }
            var spec = try FormatSpec(parsing: text, defaultAlign: ">", typeName: value.typeName)
            let n = value.integer!
            switch spec.type {
            case nil, "b", "d", "n", "o", "x", "X":
                if spec.precision != nil { throw JinjaError.runtime("Precision not allowed in integer format specifier") }
                if spec.type == "n" { spec.type = "d" }
                return spec.integer(n)
            case "c":
                if spec.sign != "-" { throw JinjaError.runtime("Sign not allowed with integer format specifier 'c'") }
                if spec.alternate { throw JinjaError.runtime("Alternate form (#) not allowed with integer format specifier 'c'") }
                guard n >= 0, let scalar = Unicode.Scalar(UInt32(clamping: n)) else {
                    throw JinjaError.runtime("%c arg not in range(0x110000)")
                }
                return spec.padded(String(scalar), defaultAlign: ">")
            case "e", "E", "f", "F", "g", "G", "%":
                return spec.float(Double(n))
            case let type: throw unknown(type)
            }
        case .float(let d):
            let spec = try FormatSpec(parsing: text, defaultAlign: ">", typeName: value.typeName)
            guard spec.type.map({ "eEfFgGn%".contains($0) }) ?? true else { throw unknown(spec.type) }
            return spec.float(d)
        default:
            guard text.isEmpty else { throw JinjaError.runtime("unsupported format string passed to \(value.typeName).__format__") }
            return value.text
        }
    }
}
