import Foundation

/// How one value is laid out, in the terms of Python's format specification
/// (`[[fill]align][sign][z][#][0][width][grouping][.precision][type]`, `str.format` and `format()`), onto which a `%`
/// conversion's flags map too (`PythonFormat`): the text of a string, an integer or a float, its sign, `#` prefix,
/// digit grouping and padding, built here for both.
struct FormatSpec {
    /// The padding character (a space when nil).
    var fill: Character?
    /// `<` left, `>` right, `^` centred, `=` padding between the sign and the digits; nil: the value's default.
    var align: Character?
    /// `+` on every number, a space before a positive one, or `-` on negative ones only.
    var sign: Character = "-"
    /// `z`: a float that rounds to zero has no minus sign.
    var coercesNegativeZero = false
    /// `#`: `0b`, `0o`, `0x` before integers; floats keep their decimal point (and `g` its trailing zeros).
    var alternate = false
    var width = 0
    /// `,` or `_` between groups of three digits (four for `b`, `o`, `x`, `X`).
    var grouping: Character?
    /// A float's digits (after the point, or significant ones), a string's longest prefix, an integer's fewest digits
    /// (a `%` conversion's only).
    var precision: Int?
    var type: Character?

    init() {}

    /// Parses the specification `text` as Python does for a value of `typeName` whose default alignment is
    /// `defaultAlign` (`<` for strings, `>` for numbers; a `0` before the width pads a number with zeros after its sign).
    init(parsing text: String, defaultAlign: Character, typeName: String) throws {
        let s = Array(text)
        var i = 0
        func next(_ options: String) -> Character? {
            guard i < s.count, options.contains(s[i]) else { return nil }
            i += 1
            return s[i - 1]
        }
        func integer() -> Int? {
            let digits = s[i...].prefix { $0.isASCII && $0.isNumber }
            i += digits.count
            return digits.isEmpty ? nil : Int(String(digits))
        }
        if s.count >= 2, "<>=^".contains(s[1]) {
            (fill, align, i) = (s[0], s[1], 2)
        } else {
            align = next("<>=^")
        }
        sign = next("+- ") ?? "-"
        coercesNegativeZero = next("z") != nil
        alternate = next("#") != nil
        if fill == nil, next("0") != nil {
            fill = "0"
            if align == nil && defaultAlign == ">" { align = "=" }
        }
        width = integer() ?? 0
        grouping = next(",_")
        if let grouping, next(grouping == "," ? "_" : ",") != nil { throw JinjaError.runtime("Cannot specify both ',' and '_'.") }
        if next(".") != nil {
            guard let digits = integer() else { throw JinjaError.runtime("Format specifier missing precision") }
            precision = digits
        }
        guard s.count - i <= 1 else { throw JinjaError.runtime("Invalid format specifier '\(text)' for object of type '\(typeName)'") }
        type = i < s.count ? s[i] : nil
        if let grouping {
            let allowed = "defgEFG%".contains(type ?? "d") || (grouping == "_" && "boxX".contains(type!))
            guard allowed else { throw JinjaError.runtime("Cannot specify '\(grouping)' with '\(type!)'.") }
        }
    }

    /// `body` padded with the fill to `width`, `lead` (a sign and prefix) before it: the padding after `lead` with `=`,
    /// else around both as `align` (or `defaultAlign`) says.
    func padded(_ body: String, lead: String = "", defaultAlign: Character) -> String {
        let count = width - lead.unicodeScalars.count - body.unicodeScalars.count
        guard count > 0 else { return lead + body }
        func run(_ n: Int) -> String { String(repeating: fill ?? " ", count: n) }
        switch align ?? defaultAlign {
        case "<": return lead + body + run(count)
        case "^": return run(count / 2) + lead + body + run(count - count / 2)
        case "=": return lead + run(count) + body
        default: return run(count) + lead + body
        }
    }

    /// A string cut to the precision and padded (left-aligned by default).
    func string(_ text: String) -> String {
        padded(precision.map { PythonString.string(text.unicodeScalars.prefix($0)) } ?? text, defaultAlign: "<")
    }

    /// `n` as `type` says (`d` when nil): in base 2, 8, 10 or 16 (`X` upper-case), at least `precision` digits.
    func integer(_ n: Int) -> String {
        let type = self.type ?? "d"
        let radix = type == "b" ? 2 : type == "o" ? 8 : "xX".contains(type) ? 16 : 10
        var digits = String(n.magnitude, radix: radix, uppercase: type == "X")
        if let precision { digits = String(repeating: "0", count: max(0, precision - digits.count)) + digits }
        let prefix = alternate && radix != 10 ? "0" + String(type) : ""
        return number(negative: n < 0, prefix: prefix, digits: digits)
    }

    /// `d` as `type` says: `e`, `f`, `g` (upper-case `E`, `F`, `G`), `n` (as `g`), `%` (times 100, as `f`, then `%`)
    /// with 6 digits unless `precision` says; without a type Python's `repr`, or with a precision `g` that keeps a digit
    /// after the point and turns to an exponent one digit sooner.
    func float(_ d: Double) -> String {
        var value = d.magnitude, type = self.type, suffix = ""
        if type == "%" { (value, type, suffix) = (value * 100, "f", "%") }
        if type == "n" { type = "g" }
        let alternate = self.alternate ? "#" : ""
        var text: String
        switch type {
        case nil where precision == nil: text = JinjaValue.pythonFloat(value)
        case nil: text = Self.shortestFloat(value, significant: max(precision!, 1), keepingZeros: self.alternate)
        case let type?:
            // `F` is `f` in capitals (`INF`, `NAN`).
            text = String(format: "%\(alternate).\(precision ?? 6)\(type == "F" ? "f" : type)", value)
            if type == "F" { text = text.uppercased() }
        }
        var negative = d.sign == .minus && !d.isNaN
        if negative && coercesNegativeZero && !text.contains(where: { ("1"..."9").contains($0) }) { negative = false }
        text += suffix
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        return number(negative: negative, prefix: "", digits: String(digits), rest: String(text.dropFirst(digits.count)))
    }

    /// `value` to `significant` digits as Python formats a float with a precision and no type: `%g` whose fixed form
    /// keeps a digit after the point and whose exponent form starts at `significant − 1`; trailing zeros dropped unless
    /// `keepingZeros`.
    private static func shortestFloat(_ value: Double, significant: Int, keepingZeros: Bool) -> String {
        guard value.isFinite else { return JinjaValue.pythonFloat(value) }
        let scientific = String(format: "%.\(significant - 1)e", value)
        let exponent = Int(scientific[scientific.index(after: scientific.firstIndex(of: "e")!)...])!
        func trimmed(_ mantissa: Substring, minimumDecimals: Int) -> String {
            guard !keepingZeros, let point = mantissa.firstIndex(of: ".") else { return String(mantissa) }
            var decimals = mantissa[mantissa.index(after: point)...]
            while decimals.count > minimumDecimals && decimals.last == "0" { decimals.removeLast() }
            return mantissa[..<point] + (decimals.isEmpty ? "" : "." + decimals)
        }
        if exponent < -4 || exponent >= significant - 1 {
            let e = scientific.firstIndex(of: "e")!
            return trimmed(scientific[..<e], minimumDecimals: 0) + scientific[e...]
        }
        return trimmed(Substring(String(format: "%.\(significant - 1 - exponent)f", value)), minimumDecimals: 1)
    }

    /// A number from its sign, `prefix`, leading `digits` (grouped) and `rest` (`.5`, `e+03`, `%`, `inf`), padded: with
    /// zeros among the digits when the fill is `0` and the alignment `=` (grouped too), else with the fill.
    private func number(negative: Bool, prefix: String, digits: String, rest: String = "") -> String {
        let sign = negative ? "-" : self.sign == "-" ? "" : String(self.sign)
        let groupSize = "boxX".contains(type ?? "d") ? 4 : 3
        func grouped(_ digits: String) -> String {
            guard let grouping else { return digits }
            var out = "", count = 0
            for digit in digits.reversed() {
                if count > 0 && count % groupSize == 0 { out.append(grouping) }
                out.append(digit)
                count += 1
            }
            return String(out.reversed())
        }
        var body = grouped(digits)
        if fill == "0" && align == "=" {
            var padded = digits
            while (sign + prefix + body + rest).unicodeScalars.count < width {
                padded = "0" + padded
                body = grouped(padded)
            }
        }
        return padded(body + rest, lead: sign + prefix, defaultAlign: ">")
    }
}
