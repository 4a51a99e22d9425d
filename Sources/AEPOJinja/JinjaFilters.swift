import Foundation

/// The filters (`value | name(arguments)`) of jinja2 that chat templates use, with jinja2's parameters and
/// semantics, and transformers' `tojson`.
enum JinjaFilters {
    typealias Filter = @Sendable (JinjaValue, JinjaArguments) throws -> JinjaValue

    static let all: [String: Filter] = {
        var filters: [String: Filter] = [
            "abs": { value, args in
                try args.check("abs", parameters: [])
                switch try value.defined() {
                case .integer(let i): return .integer(abs(i))
                case .boolean(let b): return .integer(b ? 1 : 0)
                case .float(let d): return .float(abs(d))
                default: throw JinjaError.runtime("bad operand type for abs(): '\(value.typeName)'")
                }
            },
            "capitalize": { value, args in
                try args.check("capitalize", parameters: [])
                return .string(PythonString.capitalize(value.text))
            },
            "default": { value, args in
                try args.check("default", parameters: ["default_value", "boolean"])
                let boolean = args.value(1, "boolean")?.isTruthy ?? false
                let replace = value.isUndefined || (boolean && !value.isTruthy)
                return replace ? args.value(0, "default_value") ?? .string("") : value
            },
            "dictsort": { value, args in
                try args.check("dictsort", parameters: ["case_sensitive", "by", "reverse"])
                guard case .dictionary(let d) = try value.defined() else { throw JinjaError.runtime("dictsort expects a mapping") }
                let byValue = args.value(1, "by")?.text == "value"
                let caseSensitive = args.value(0, "case_sensitive")?.isTruthy ?? false
                let pairs = try sorted(d.items.map { JinjaValue.tuple([.string($0.key), $0.value]) },
                                       reverse: args.value(2, "reverse")?.isTruthy ?? false) {
                    sortKey(try $0.item(.integer(byValue ? 1 : 0)), caseSensitive: caseSensitive)
                }
                return .list(pairs)
            },
            "escape": { value, args in
                try args.check("escape", parameters: [])
                return .string(value.text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                    .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&#34;")
                    .replacingOccurrences(of: "'", with: "&#39;"))
            },
            "first": { value, args in
                try args.check("first", parameters: [])
                return try value.iterated().first ?? .undefined(hint: "No first item, sequence was empty.")
            },
            "float": { value, args in
                try args.check("float", parameters: ["default"])
                switch value {
                case .float: return value
                case .integer, .boolean: return .float(value.number!)
                case .string(let s): if let d = Double(PythonString.strip(s, nil)) { return .float(d) }
                default: break
                }
                return args.value(0, "default") ?? .float(0)
            },
            "indent": { value, args in
                try args.check("indent", parameters: ["width", "first", "blank"])
                let width = args.value(0, "width") ?? .integer(4)
                let indentation = width.integer.map { String(repeating: " ", count: max(0, $0)) } ?? width.text
                var lines = PythonString.lines(value.text + "\n")
                var result = lines.removeFirst()
                if args.value(2, "blank")?.isTruthy ?? false {
                    result += lines.map { "\n" + indentation + $0 }.joined()
                } else if !lines.isEmpty {
                    result += "\n" + lines.map { $0.isEmpty ? $0 : indentation + $0 }.joined(separator: "\n")
                }
                return .string((args.value(1, "first")?.isTruthy ?? false ? indentation : "") + result)
            },
            "int": { value, args in
                try args.check("int", parameters: ["default", "base"])
                let base = args.value(1, "base")?.integer ?? 10
                switch value {
                case .integer: return value
                case .boolean(let b): return .integer(b ? 1 : 0)
                case .float(let d) where d.isFinite && abs(d) < 9.2e18: return .integer(Int(d))
                case .string(let s):
                    let text = PythonString.strip(s, nil).replacingOccurrences(of: "_", with: "")
                    if let i = Int(text, radix: base) { return .integer(i) }
                    if base == 10, let d = Double(text), d.isFinite, abs(d) < 9.2e18 { return .integer(Int(d)) }
                default: break
                }
                return args.value(0, "default") ?? .integer(0)
            },
            "items": { value, args in
                try args.check("items", parameters: [])
                switch value {
                case .undefined: return .list([])
                case .dictionary(let d): return .list(d.items.map { .tuple([.string($0.key), $0.value]) })
                default: throw JinjaError.runtime("Can only get item pairs from a mapping.")
                }
            },
            "join": { value, args in
                try args.check("join", parameters: ["d", "attribute"])
                var items = try value.iterated()
                if let attribute = args.value(1, "attribute") { items = try items.map { try $0.attribute(attribute.text) } }
                return .string(items.map(\.text).joined(separator: args.value(0, "d")?.text ?? ""))
            },
            "last": { value, args in
                try args.check("last", parameters: [])
                return try value.iterated().last ?? .undefined(hint: "No last item, sequence was empty.")
            },
            "length": { value, args in
                try args.check("length", parameters: [])
                return .integer(try value.length())
            },
            "list": { value, args in
                try args.check("list", parameters: [])
                return .list(try value.iterated())
            },
            "lower": { value, args in
                try args.check("lower", parameters: [])
                return .string(value.text.lowercased())
            },
            "map": { value, args in
                let items = try value.iterated()
                if let attribute = args.keywords.first(where: { $0.name == "attribute" })?.value {
                    try args.check("map", parameters: ["attribute", "default"])
                    let fallback = args.keywords.first { $0.name == "default" }?.value
                    return .list(try items.map {
                        let found = try $0.attribute(attribute.text)
                        return found.isUndefined ? fallback ?? found : found
                    })
                }
                guard let name = args.positional.first?.text, let filter = all[name] else {
                    throw JinjaError.runtime("map needs a filter name or attribute=")
                }
                let rest = JinjaArguments(Array(args.positional.dropFirst()), keywords: args.keywords)
                return .list(try items.map { try filter($0, rest) })
            },
            "max": { value, args in try extreme(value, args, name: "max", largest: true) },
            "min": { value, args in try extreme(value, args, name: "min", largest: false) },
            "replace": { value, args in
                try args.check("replace", parameters: ["old", "new", "count"])
                guard let old = args.value(0, "old"), let new = args.value(1, "new") else {
                    throw JinjaError.runtime("replace() needs old and new")
                }
                return .string(PythonString.replace(value.text, old.text, new.text, count: args.value(2, "count")?.integer ?? -1))
            },
            "reverse": { value, args in
                try args.check("reverse", parameters: [])
                if case .string(let s) = value { return .string(PythonString.string(s.unicodeScalars.reversed())) }
                return .list(try value.iterated().reversed())
            },
            "round": { value, args in
                try args.check("round", parameters: ["precision", "method"])
                guard let number = try value.defined().number else { throw JinjaError.runtime("round() needs a number") }
                let precision = args.value(0, "precision")?.integer ?? 0
                let method = args.value(1, "method")?.text ?? "common"
                // Python's round() of an int with precision ≥ 0 is the int itself.
                if method == "common", precision >= 0, case .integer = value { return value }
                let rule: FloatingPointRoundingRule
                switch method {
                case "common": rule = .toNearestOrEven
                case "ceil": rule = .up
                case "floor": rule = .down
                default: throw JinjaError.runtime("method must be common, ceil or floor")
                }
                let scale = pow(10, Double(precision))
                return .float((number * scale).rounded(rule) / scale)
            },
            "safe": { value, args in
                try args.check("safe", parameters: [])
                return value
            },
            "select": { value, args in .list(try selected(value, args, keep: true, attribute: false)) },
            "reject": { value, args in .list(try selected(value, args, keep: false, attribute: false)) },
            "selectattr": { value, args in .list(try selected(value, args, keep: true, attribute: true)) },
            "rejectattr": { value, args in .list(try selected(value, args, keep: false, attribute: true)) },
            "sort": { value, args in
                try args.check("sort", parameters: ["reverse", "case_sensitive", "attribute"])
                let caseSensitive = args.value(1, "case_sensitive")?.isTruthy ?? false
                let attribute = args.value(2, "attribute")?.text
                return .list(try sorted(try value.iterated(), reverse: args.value(0, "reverse")?.isTruthy ?? false) {
                    sortKey(try attribute.map($0.attribute) ?? $0, caseSensitive: caseSensitive)
                })
            },
            "string": { value, args in
                try args.check("string", parameters: [])
                return .string(value.text)
            },
            "sum": { value, args in
                try args.check("sum", parameters: ["attribute", "start"])
                var total = args.value(1, "start") ?? .integer(0)
                for item in try value.iterated() {
                    total = try JinjaValue.arithmetic("+", total, try args.value(0, "attribute").map { try item.attribute($0.text) } ?? item)
                }
                return total
            },
            "title": { value, args in
                try args.check("title", parameters: [])
                return .string(PythonString.title(value.text))
            },
            "tojson": { value, args in
                try args.check("tojson", parameters: ["ensure_ascii", "indent", "separators", "sort_keys"])
                var json = JinjaJSON()
                json.ensureASCII = args.value(0, "ensure_ascii")?.isTruthy ?? false
                switch args.value(1, "indent") {
                case nil, .none?: json.indent = nil
                case .string(let s)?: json.indent = s
                case let width?:
                    guard let n = width.integer else { throw JinjaError.runtime("indent must be an integer or a string") }
                    json.indent = String(repeating: " ", count: max(0, n))
                }
                if let separators = args.value(2, "separators"), !(separators.isUndefined || separators.equals(.none)) {
                    let pair = try separators.iterated()
                    guard pair.count == 2 else { throw JinjaError.runtime("separators must be an (item, key) pair") }
                    json.itemSeparator = pair[0].text
                    json.keySeparator = pair[1].text
                }
                json.sortKeys = args.value(3, "sort_keys")?.isTruthy ?? false
                return .string(try json.serialize(value))
            },
            "trim": { value, args in
                try args.check("trim", parameters: ["chars"])
                let chars = args.value(0, "chars")
                return .string(PythonString.strip(value.text, chars.flatMap { $0.equals(.none) ? nil : $0.text }))
            },
            "unique": { value, args in
                try args.check("unique", parameters: ["case_sensitive", "attribute"])
                let caseSensitive = args.value(0, "case_sensitive")?.isTruthy ?? false
                let attribute = args.value(1, "attribute")?.text
                var seen: [JinjaValue] = [], result: [JinjaValue] = []
                for item in try value.iterated() {
                    let key = sortKey(try attribute.map(item.attribute) ?? item, caseSensitive: caseSensitive)
                    if !seen.contains(where: { $0.equals(key) }) {
                        seen.append(key)
                        result.append(item)
                    }
                }
                return .list(result)
            },
            "upper": { value, args in
                try args.check("upper", parameters: [])
                return .string(value.text.uppercased())
            },
            "wordcount": { value, args in
                try args.check("wordcount", parameters: [])
                return .integer(value.text.split { !($0.isLetter || $0.isNumber || $0 == "_") }.count)
            },
        ]
        filters["count"] = filters["length"]
        filters["d"] = filters["default"]
        filters["e"] = filters["escape"]
        return filters
    }()

    /// Strings compared case-insensitively unless `caseSensitive` (jinja2's `ignore_case`).
    private static func sortKey(_ value: JinjaValue, caseSensitive: Bool) -> JinjaValue {
        if !caseSensitive, case .string(let s) = value { return .string(s.lowercased()) }
        return value
    }

    /// A stable sort by Python's ordering of `key`.
    private static func sorted(_ items: [JinjaValue], reverse: Bool, key: (JinjaValue) throws -> JinjaValue) throws -> [JinjaValue] {
        let keyed = try items.map { (try key($0), $0) }
        var failure: Error?
        let result = keyed.enumerated().sorted { a, b in
            do {
                let order = try JinjaValue.order(a.element.0, b.element.0, "<")
                return order == 0 ? a.offset < b.offset : (order < 0) != reverse
            } catch {
                failure = error
                return false
            }
        }
        if let failure { throw failure }
        return result.map(\.element.1)
    }

    private static func extreme(_ value: JinjaValue, _ args: JinjaArguments, name: String, largest: Bool) throws -> JinjaValue {
        try args.check(name, parameters: ["case_sensitive", "attribute"])
        let caseSensitive = args.value(0, "case_sensitive")?.isTruthy ?? false
        let attribute = args.value(1, "attribute")?.text
        let items = try sorted(try value.iterated(), reverse: largest) {
            sortKey(try attribute.map($0.attribute) ?? $0, caseSensitive: caseSensitive)
        }
        return items.first ?? .undefined(hint: "No aggregated item, sequence was empty.")
    }

    /// `select`/`reject` (`attribute` false: the items themselves) and `selectattr`/`rejectattr`: the items whose value
    /// passes the test named by the first argument (truth when none is named).
    private static func selected(_ value: JinjaValue, _ args: JinjaArguments, keep: Bool, attribute: Bool) throws -> [JinjaValue] {
        var rest = args.positional
        let attributeName = attribute ? rest.isEmpty ? nil : rest.removeFirst().text : nil
        if attribute && attributeName == nil { throw JinjaError.runtime("selectattr and rejectattr need an attribute name") }
        let testName = rest.isEmpty ? nil : rest.removeFirst().text
        guard testName.map({ JinjaPredicates.all[$0] != nil }) ?? true else {
            throw JinjaError.runtime("no test named '\(testName!)'")
        }
        let testArguments = JinjaArguments(rest, keywords: args.keywords)
        return try value.iterated().filter { item in
            let subject = try attributeName.map(item.attribute) ?? item
            let passes = try testName.map { try JinjaPredicates.all[$0]!(subject, testArguments) } ?? subject.isTruthy
            return passes == keep
        }
    }
}
