import Foundation

/// Python's printf-style formatting, `format % values` (and jinja2's `format` filter): `%s`, `%r`, `%a`, `%d`/`%i`/`%u`,
/// `%o`, `%x`/`%X`, `%e`/`%E`, `%f`/`%F`, `%g`/`%G`, `%c` and `%%`, with `%(key)` mapping keys, the flags `#0- +`, widths
/// and precisions (`*` takes them from the values), each laid out as a `FormatSpec`. A tuple gives one value per
/// conversion, anything else is the one value (a dict or list may also go unused, as in Python).
enum PythonFormat {
    static func format(_ format: String, _ values: JinjaValue) throws -> String {
        var arguments: [JinjaValue]
        if case .tuple(let items, _) = values { arguments = items } else { arguments = [values] }
        var mappingLike = false, mapping: JinjaDictionary?
        switch values {
        case .dictionary(let d): (mappingLike, mapping) = (true, d)
        case .list: mappingLike = true
        default: break
        }
        func take() throws -> JinjaValue {
            guard !arguments.isEmpty else { throw JinjaError.runtime("not enough arguments for format string") }
            return arguments.removeFirst()
        }
        let s = Array(format.unicodeScalars)
        var out = "", i = 0
        while i < s.count {
            guard s[i] == "%" else {
                out.unicodeScalars.append(s[i])
                i += 1
                continue
            }
            i += 1
            var flags: Set<Unicode.Scalar> = []
            var keyed: JinjaValue?
            if i < s.count && s[i] == "(" {
                guard let d = mapping else { throw JinjaError.runtime("format requires a mapping") }
                var level = 1, end = i + 1
                while end < s.count && level > 0 {
                    if s[end] == "(" { level += 1 } else if s[end] == ")" { level -= 1 }
                    end += 1
                }
                guard level == 0 else { throw JinjaError.runtime("incomplete format key") }
                let key = PythonString.string(s[(i + 1)..<(end - 1)])
                guard let value = d[key] else { throw JinjaError.runtime("format key '\(key)' is missing") }
                keyed = value
                i = end
            }
            while i < s.count && "-+ #0".unicodeScalars.contains(s[i]) {
                flags.insert(s[i])
                i += 1
            }
            func number() throws -> Int? {
                if i < s.count && s[i] == "*" {
                    i += 1
                    guard let n = try take().integer else { throw JinjaError.runtime("* wants int") }
                    return n
                }
                var digits = ""
                while i < s.count, ("0"..."9").contains(s[i]) {
                    digits.unicodeScalars.append(s[i])
                    i += 1
                }
                return digits.isEmpty ? nil : Int(digits)
            }
            var spec = FormatSpec()
            if let width = try number() {
                if width < 0 { flags.insert("-") }
                spec.width = abs(width)
            }
            if i < s.count && s[i] == "." {
                i += 1
                spec.precision = max(0, try number() ?? 0)
            }
            while i < s.count && "hlL".unicodeScalars.contains(s[i]) { i += 1 }
            guard i < s.count else { throw JinjaError.runtime("incomplete format") }
            let conversion = Character(s[i])
            i += 1
            if conversion == "%" {
                out += "%"
                continue
            }
            spec.align = flags.contains("-") ? "<" : ">"
            spec.sign = flags.contains("+") ? "+" : flags.contains(" ") ? " " : "-"
            spec.alternate = flags.contains("#")
            out += try convert(try keyed ?? take(), conversion, spec, zeroPadded: flags.contains("0") && !flags.contains("-"), at: i - 1)
        }
        if !arguments.isEmpty && !mappingLike {
            throw JinjaError.runtime("not all arguments converted during string formatting")
        }
        return out
    }

    /// One conversion of `value` laid out as `layout` says (the flags, width and precision; right-aligned unless `-`),
    /// a number padded with zeros after its sign when `zeroPadded` (the `0` flag; a string ignores it).
    private static func convert(_ value: JinjaValue, _ conversion: Character, _ layout: FormatSpec, zeroPadded: Bool,
                                at index: Int) throws -> String {
        var spec = layout, number = layout
        if zeroPadded { (number.fill, number.align) = ("0", "=") }
        switch conversion {
        case "s", "r", "a":
            return spec.string(conversion == "s" ? value.text : conversion == "r" ? value.repr : PythonString.ascii(value.repr))
        case "d", "i", "u", "o", "x", "X":
            let n: Int
            switch try value.defined() {
            case .integer(let i): n = i
            case .boolean(let b): n = b ? 1 : 0
            case .float(let d) where "diu".contains(conversion):
                guard d.isFinite, abs(d) < 9.2e18 else { throw JinjaError.runtime("cannot convert float \(JinjaValue.pythonFloat(d)) to integer") }
                n = Int(d)
            default:
                let wanted = "diu".contains(conversion) ? "a real number" : "an integer"
                throw JinjaError.runtime("%\(conversion) format: \(wanted) is required, not \(value.typeName)")
            }
            number.type = "iu".contains(conversion) ? "d" : conversion
            return number.integer(n)
        case "e", "E", "f", "F", "g", "G":
            guard let d = try value.defined().number else { throw JinjaError.runtime("must be real number, not \(value.typeName)") }
            number.type = conversion
            return number.float(d)
        case "c":
            spec.precision = nil
            if case .string(let c) = value, c.unicodeScalars.count == 1 { return spec.string(c) }
            guard let code = value.integer, code >= 0, let scalar = Unicode.Scalar(UInt32(clamping: code)) else {
                throw JinjaError.runtime("%c requires an int or a unicode character, not \(value.typeName)")
            }
            return spec.string(String(scalar))
        default:
            let code = String(conversion.unicodeScalars.first!.value, radix: 16)
            throw JinjaError.runtime("unsupported format character '\(conversion)' (0x\(code)) at index \(index)")
        }
    }
}
