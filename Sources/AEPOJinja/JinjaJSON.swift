/// The `tojson` filter as transformers defines it for chat templates: Python's
/// `json.dumps(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False)` (no HTML escaping).
struct JinjaJSON {
    var ensureASCII = false
    /// The text of one level of indentation (`indent=4`: four spaces); nil writes one line.
    var indent: String?
    /// Between items and between a key and its value; by default `", "` (`","` with an indent) and `": "`.
    var itemSeparator: String?
    var keySeparator = ": "
    var sortKeys = false

    func serialize(_ value: JinjaValue) throws -> String {
        var out = ""
        try write(value, level: 0, into: &out)
        return out
    }

    private func write(_ value: JinjaValue, level: Int, into out: inout String) throws {
        switch value {
        case .none: out += "null"
        case .boolean(let b): out += b ? "true" : "false"
        case .integer(let i): out += String(i)
        case .float(let d):
            out += d.isNaN ? "NaN" : d == .infinity ? "Infinity" : d == -.infinity ? "-Infinity" : JinjaValue.pythonFloat(d)
        case .string(let s): writeString(s, into: &out)
        case .list(let items), .tuple(let items, _):
            try writeContainer("[", "]", items.count, level: level, into: &out) { i, out in
                try write(items[i], level: level + 1, into: &out)
            }
        case .dictionary(let d):
            let items = sortKeys ? d.items.sorted { PythonString.precedes($0.key, $1.key) } : d.items
            try writeContainer("{", "}", items.count, level: level, into: &out) { i, out in
                writeString(items[i].key, into: &out)
                out += keySeparator
                try write(items[i].value, level: level + 1, into: &out)
            }
        default:
            throw JinjaError.runtime("Object of type \(value.typeName) is not JSON serializable")
        }
    }

    private func writeContainer(_ open: String, _ close: String, _ count: Int, level: Int, into out: inout String,
                                item: (Int, inout String) throws -> Void) throws {
        guard count > 0 else {
            out += open + close
            return
        }
        let newline = indent.map { "\n" + String(repeating: $0, count: level + 1) } ?? ""
        let separator = (itemSeparator ?? (indent == nil ? ", " : ",")) + newline
        out += open + newline
        for i in 0..<count {
            if i > 0 { out += separator }
            try item(i, &out)
        }
        out += (indent.map { "\n" + String(repeating: $0, count: level) } ?? "") + close
    }

    private func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || (ensureASCII && scalar.value > 0x7E) {
                    if scalar.value > 0xFFFF {
                        let v = scalar.value - 0x10000
                        out += "\\u" + String(0xD800 + (v >> 10), radix: 16) + "\\u" + String(0xDC00 + (v & 0x3FF), radix: 16)
                    } else {
                        out += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
