import Foundation

/// Python's printf-style formatting, `format % values` (and jinja2's `format` filter): `%s`, `%r`, `%a`, `%d`/`%i`/`%u`,
/// `%o`, `%x`/`%X`, `%e`/`%E`, `%f`/`%F`, `%g`/`%G`, `%c` and `%%`, with `%(key)` mapping keys, the flags `#0- +`, widths
/// and precisions (`*` takes them from the values). A tuple gives one value per conversion, anything else is the one
/// value (a dict or list may also go unused, as in Python).
enum PythonFormat {
    static func format(_ format: String, _ values: JinjaValue) throws -> String {
        var arguments: [JinjaValue]
        if case .tuple(let items) = values { arguments = items } else { arguments = [values] }
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
            var spec = Spec()
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
            while i < s.count, let flag = "-+ #0".unicodeScalars.first(where: { $0 == s[i] }) {
                spec.flags.insert(Character(flag))
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
            if let width = try number() {
                if width < 0 { spec.flags.insert("-") }
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
            out += try convert(try keyed ?? take(), conversion, spec, at: i - 1)
        }
        if !arguments.isEmpty && !mappingLike {
            throw JinjaError.runtime("not all arguments converted during string formatting")
        }
        return out
    }

    private struct Spec {
        var flags: Set<Character> = []
        var width = 0
        var precision: Int?

        /// `text` padded to the width: on the right with `-`, else on the left.
        func padded(_ text: String) -> String {
            let fill = String(repeating: " ", count: max(0, width - text.unicodeScalars.count))
            return flags.contains("-") ? text + fill : fill + text
        }
    }

    private static func convert(_ value: JinjaValue, _ conversion: Character, _ spec: Spec, at index: Int) throws -> String {
        switch conversion {
        case "s", "r", "a":
            var text = conversion == "s" ? value.text : conversion == "r" ? value.repr : ascii(value.repr)
            if let precision = spec.precision { text = PythonString.string(text.unicodeScalars.prefix(precision)) }
            return spec.padded(text)
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
            return integer(n, conversion, spec)
        case "e", "E", "f", "F", "g", "G":
            guard let d = try value.defined().number else { throw JinjaError.runtime("must be real number, not \(value.typeName)") }
            let flags = spec.flags.sorted().map(String.init).joined()
            return String(format: "%\(flags)\(spec.width).\(spec.precision ?? 6)\(conversion)", d)
        case "c":
            if case .string(let c) = value, c.unicodeScalars.count == 1 { return spec.padded(c) }
            guard let code = value.integer, code >= 0, let scalar = Unicode.Scalar(UInt32(clamping: code)) else {
                throw JinjaError.runtime("%c requires an int or a unicode character, not \(value.typeName)")
            }
            return spec.padded(String(scalar))
        default:
            let code = String(conversion.unicodeScalars.first!.value, radix: 16)
            throw JinjaError.runtime("unsupported format character '\(conversion)' (0x\(code)) at index \(index)")
        }
    }

    /// `n` in base 10, 8 or 16 with Python's sign, `#` prefix (`0o`, `0x`), precision (minimum digits) and zero padding
    /// (after the sign and prefix).
    private static func integer(_ n: Int, _ conversion: Character, _ spec: Spec) -> String {
        let radix = conversion == "o" ? 8 : "xX".contains(conversion) ? 16 : 10
        var digits = String(n.magnitude, radix: radix, uppercase: conversion == "X")
        if let precision = spec.precision { digits = digits.leftPadded(to: precision) }
        let sign = n < 0 ? "-" : spec.flags.contains("+") ? "+" : spec.flags.contains(" ") ? " " : ""
        let prefix = spec.flags.contains("#") && radix != 10 ? "0" + String(conversion == "o" ? "o" : conversion) : ""
        if spec.flags.contains("0") && !spec.flags.contains("-") {
            return sign + prefix + digits.leftPadded(to: spec.width - sign.count - prefix.count)
        }
        return spec.padded(sign + prefix + digits)
    }

    /// Python's `ascii(text)`: the code points past ASCII as `\xhh`, `\uhhhh` or `\Uhhhhhhhh`.
    private static func ascii(_ text: String) -> String {
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
