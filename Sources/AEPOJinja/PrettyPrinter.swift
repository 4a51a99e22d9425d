/// Python's `pprint.pformat(value)` (jinja2's `pprint` filter): the `repr` with dictionaries' keys sorted, and a list,
/// tuple or dictionary that does not fit in 80 columns one item per line, indented under its bracket. (A long string
/// stays one `repr`, where pprint would split it into pieces; a named tuple, `groupby`'s, is its plain `repr`, as pprint
/// gives a tuple subclass with a `__repr__` of its own.)
enum PrettyPrinter {
    static let width = 80

    static func format(_ value: JinjaValue) -> String {
        var out = ""
        format(value, indent: 0, allowance: 0, into: &out)
        return out
    }

    /// The one-line form (pprint's `_safe_repr`).
    private static func repr(_ value: JinjaValue) -> String {
        switch value {
        case .list(let items): return "[" + items.map(repr).joined(separator: ", ") + "]"
        case .tuple(let items, let fields) where fields.isEmpty: return items.count == 1 ? "(\(repr(items[0])),)" : "(" + items.map(repr).joined(separator: ", ") + ")"
        case .dictionary(let d): return "{" + sortedItems(d).map { JinjaValue.pythonRepr($0.key) + ": " + repr($0.value) }.joined(separator: ", ") + "}"
        default: return value.repr
        }
    }

    private static func sortedItems(_ d: JinjaDictionary) -> [(key: String, value: JinjaValue)] {
        d.items.sorted { PythonString.precedes($0.key, $1.key) }
    }

    private static func format(_ value: JinjaValue, indent: Int, allowance: Int, into out: inout String) {
        let oneLine = repr(value)
        guard oneLine.unicodeScalars.count > width - indent - allowance else {
            out += oneLine
            return
        }
        switch value {
        case .list(let items):
            out += "["
            formatItems(items, indent: indent, allowance: allowance + 1, into: &out)
            out += "]"
        case .tuple(let items, let fields) where fields.isEmpty:
            let end = items.count == 1 ? ",)" : ")"
            out += "("
            formatItems(items, indent: indent, allowance: allowance + end.count, into: &out)
            out += end
        case .dictionary(let d) where d.count > 0:
            out += "{"
            let items = sortedItems(d), itemIndent = indent + 1
            for (i, item) in items.enumerated() {
                let key = JinjaValue.pythonRepr(item.key)
                out += key + ": "
                let last = i == items.count - 1
                format(item.value, indent: itemIndent + key.unicodeScalars.count + 2, allowance: last ? allowance + 1 : 1, into: &out)
                if !last { out += ",\n" + String(repeating: " ", count: itemIndent) }
            }
            out += "}"
        default:
            out += oneLine
        }
    }

    private static func formatItems(_ items: [JinjaValue], indent: Int, allowance: Int, into out: inout String) {
        let itemIndent = indent + 1
        for (i, item) in items.enumerated() {
            if i > 0 { out += ",\n" + String(repeating: " ", count: itemIndent) }
            format(item, indent: itemIndent, allowance: i == items.count - 1 ? allowance : 1, into: &out)
        }
    }
}
