import Foundation

/// The filters (`value | name(arguments)`) of jinja2, with jinja2's parameters and semantics (an `attribute` may be a
/// dotted path, `"user.name"`, `"items.0"`), and transformers' `tojson`. `groupby`'s groups are `(grouper, list)`
/// named tuples, as jinja2's: unpacked, indexed, or read as `.grouper` and `.list`.
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
            "attr": { value, args in
                try args.check("attr", parameters: ["name"])
                guard let name = args.value(0, "name")?.text else { throw JinjaError.runtime("attr() needs a name") }
                switch try value.defined() {
                case .namespace, .function: return try value.attribute(name)
                default: return .undefined(hint: "'\(value.typeName) object' has no attribute '\(name)'")
                }
            },
            "batch": { value, args in
                try args.check("batch", parameters: ["linecount", "fill_with"])
                guard let size = args.value(0, "linecount")?.integer, size > 0 else { throw JinjaError.runtime("batch() needs a positive linecount") }
                let fill = args.value(1, "fill_with").flatMap { $0.equals(.none) ? nil : $0 }
                let items = try value.iterated()
                var batches = stride(from: 0, to: items.count, by: size).map { Array(items[$0..<min($0 + size, items.count)]) }
                if let fill, let last = batches.indices.last { batches[last] += Array(repeating: fill, count: size - batches[last].count) }
                return .list(batches.map(JinjaValue.list))
            },
            "center": { value, args in
                try args.check("center", parameters: ["width"])
                let width = args.value(0, "width")?.integer ?? 80, text = value.text
                let margin = width - text.unicodeScalars.count
                guard margin > 0 else { return .string(text) }
                // Python's str.center puts the odd space on the left when the width is odd.
                let left = margin / 2 + (margin & width & 1)
                return .string(String(repeating: " ", count: left) + text + String(repeating: " ", count: margin - left))
            },
            "filesizeformat": { value, args in
                try args.check("filesizeformat", parameters: ["binary"])
                let binary = args.value(0, "binary")?.isTruthy ?? false
                guard let size = try floatValue(value) else { throw JinjaError.runtime("could not convert \(value.typeName) to float: \(value.repr)") }
                let base = binary ? 1024.0 : 1000.0
                if size == 1 { return "1 Byte" }
                if size < base { return .string("\(Int(size)) Bytes") }
                let prefixes = binary ? ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"] : ["kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
                var unit = base
                for prefix in prefixes {
                    unit *= base
                    if size < unit || prefix == prefixes.last { return .string(String(format: "%.1f ", base * size / unit) + prefix) }
                }
                return .none
            },
            "format": { value, args in
                guard args.positional.isEmpty || args.keywords.isEmpty else {
                    throw JinjaError.runtime("can't handle positional and keyword arguments at the same time")
                }
                return .string(try PythonFormat.format(value.text, args.keywords.isEmpty ? .tuple(args.positional) : .dictionary(args.keywordDictionary)))
            },
            "groupby": { value, args in
                try args.check("groupby", parameters: ["attribute", "default", "case_sensitive"])
                let caseSensitive = args.value(2, "case_sensitive")?.isTruthy ?? false
                let key = attributeGetter(args.value(0, "attribute"), default: args.value(1, "default"))
                var groups: [(key: JinjaValue, items: [JinjaValue])] = []
                for item in try sorted(try value.iterated(), reverse: false, key: { sortKey(try key($0), caseSensitive: caseSensitive) }) {
                    let itemKey = sortKey(try key(item), caseSensitive: caseSensitive)
                    if let last = groups.last, sortKey(try key(last.items[0]), caseSensitive: caseSensitive).equals(itemKey) {
                        groups[groups.count - 1].items.append(item)
                    } else {
                        groups.append((itemKey, [item]))
                    }
                }
                // Each group is named by the first item's own value (its case kept).
                return .list(try groups.map { .tuple([try key($0.items[0]), .list($0.items)], fields: ["grouper", "list"]) })
            },
            "pprint": { value, args in
                try args.check("pprint", parameters: [])
                return .string(PrettyPrinter.format(value))
            },
            "random": { value, args in
                try args.check("random", parameters: [])
                return try value.iterated().randomElement() ?? .undefined(hint: "No random item, sequence was empty.")
            },
            "slice": { value, args in
                try args.check("slice", parameters: ["slices", "fill_with"])
                guard let count = args.value(0, "slices")?.integer, count > 0 else { throw JinjaError.runtime("slice() needs a positive number of slices") }
                let fill = args.value(1, "fill_with").flatMap { $0.equals(.none) ? nil : $0 }
                let items = try value.iterated()
                let perSlice = items.count / count, withExtra = items.count % count
                var offset = 0
                return .list((0..<count).map { number in
                    let start = offset + number * perSlice
                    if number < withExtra { offset += 1 }
                    var part = Array(items[start..<(offset + (number + 1) * perSlice)])
                    if let fill, number >= withExtra { part.append(fill) }
                    return .list(part)
                })
            },
            "striptags": { value, args in
                try args.check("striptags", parameters: [])
                return .string(HTMLText.strippingTags(value.text))
            },
            "truncate": { value, args in
                try args.check("truncate", parameters: ["length", "killwords", "end", "leeway"])
                let text = Array(value.text.unicodeScalars)
                let length = args.value(0, "length")?.integer ?? 255, killWords = args.value(1, "killwords")?.isTruthy ?? false
                let end = args.value(2, "end")?.text ?? "...", leeway = args.value(3, "leeway").flatMap { $0.equals(.none) ? nil : $0.integer } ?? 5
                let endLength = end.unicodeScalars.count
                guard length >= endLength else { throw JinjaError.runtime("expected length >= \(endLength), got \(length)") }
                guard leeway >= 0 else { throw JinjaError.runtime("expected leeway >= 0, got \(leeway)") }
                if text.count <= length + leeway { return .string(value.text) }
                let kept = PythonString.string(text.prefix(length - endLength))
                if killWords { return .string(kept + end) }
                return .string((try PythonString.split(PythonString.string(kept.unicodeScalars.reversed()), " ", maxSplits: 1).last)
                    .map { PythonString.string($0.unicodeScalars.reversed()) }! + end)
            },
            "urlencode": { value, args in
                try args.check("urlencode", parameters: [])
                let pairs: [JinjaValue]
                switch try value.defined() {
                case .dictionary(let d): pairs = d.items.map { .tuple([.string($0.key), $0.value]) }
                case .list(let items), .tuple(let items, _): pairs = items
                default: return .string(urlQuoted(value.text, query: false))
                }
                return .string(try pairs.map { pair in
                    let parts = try pair.iterated()
                    guard parts.count == 2 else { throw JinjaError.runtime("urlencode needs (key, value) pairs") }
                    return urlQuoted(parts[0].text, query: true) + "=" + urlQuoted(parts[1].text, query: true)
                }.joined(separator: "&"))
            },
            "urlize": { value, args in
                try args.check("urlize", parameters: ["trim_url_limit", "nofollow", "target", "rel", "extra_schemes"])
                let text = { (index: Int, name: String) in args.value(index, name).flatMap { $0.isTruthy ? $0.text : nil } }
                // transformers' environment keeps jinja2's policy `urlize.rel`, "noopener".
                var rel = Set(try PythonString.split(text(3, "rel") ?? "", nil) + ["noopener"])
                if args.value(1, "nofollow")?.isTruthy ?? false { rel.insert("nofollow") }
                let schemes = try (args.value(4, "extra_schemes").flatMap { $0.equals(.none) ? nil : $0 } ?? .list([])).iterated().map(\.text)
                if let scheme = try schemes.first(where: { !(try URLLinks.isSchemePrefix($0)) }) {
                    throw JinjaError.runtime("\(JinjaValue.pythonRepr(scheme)) is not a valid URI scheme prefix.")
                }
                let limit = args.value(0, "trim_url_limit").flatMap { $0.equals(.none) ? nil : $0.integer }
                return .string(try URLLinks.urlize(value.text, trimLimit: limit, rel: rel.sorted(by: PythonString.precedes).joined(separator: " "),
                                                   target: text(2, "target"), extraSchemes: schemes))
            },
            "wordwrap": { value, args in
                try args.check("wordwrap", parameters: ["width", "break_long_words", "wrapstring", "break_on_hyphens"])
                var wrapper = TextWrapper()
                wrapper.width = args.value(0, "width")?.integer ?? 79
                wrapper.breakLongWords = args.value(1, "break_long_words")?.isTruthy ?? true
                wrapper.breakOnHyphens = args.value(3, "break_on_hyphens")?.isTruthy ?? true
                let wrapString = args.value(2, "wrapstring").flatMap { $0.equals(.none) ? nil : $0.text } ?? "\n"
                return .string(try PythonString.lines(value.text).map { try wrapper.wrap($0).joined(separator: wrapString) }.joined(separator: wrapString))
            },
            "xmlattr": { value, args in
                try args.check("xmlattr", parameters: ["autospace"])
                guard case .dictionary(let d) = try value.defined() else { throw JinjaError.runtime("xmlattr expects a mapping") }
                let pairs = try d.items.filter { !($0.value.isUndefined || $0.value.equals(.none)) }.map { key, item in
                    if key.unicodeScalars.contains(where: { $0.isASCII && (PythonString.isSpace($0) || "/>=".unicodeScalars.contains($0)) }) {
                        throw JinjaError.runtime("Invalid character in attribute name: \(JinjaValue.pythonRepr(key))")
                    }
                    return "\(HTMLText.escaped(key))=\"\(HTMLText.escaped(item.text))\""
                }.joined(separator: " ")
                return .string((args.value(0, "autospace")?.isTruthy ?? true) && !pairs.isEmpty ? " " + pairs : pairs)
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
                return .string(HTMLText.escaped(value.text))
            },
            "first": { value, args in
                try args.check("first", parameters: [])
                return try value.iterated().first ?? .undefined(hint: "No first item, sequence was empty.")
            },
            "float": { value, args in
                try args.check("float", parameters: ["default"])
                return try floatValue(value).map(JinjaValue.float) ?? args.value(0, "default") ?? .float(0)
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
                let key = attributeGetter(args.value(1, "attribute"))
                return .string(try value.iterated().map { try key($0).text }.joined(separator: args.value(0, "d")?.text ?? ""))
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
                if args.positional.isEmpty, let attribute = args.keywords.first(where: { $0.name == "attribute" })?.value {
                    try args.check("map", parameters: ["attribute", "default"])
                    let key = attributeGetter(attribute, default: args.keywords.first { $0.name == "default" }?.value)
                    return .list(try items.map(key))
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
                // Several comma-separated attributes sort by each in turn.
                let keys = args.value(2, "attribute").map { attribute in
                    attribute.text.split(separator: ",", omittingEmptySubsequences: false).map { attributeGetter(.string(String($0))) }
                }
                return .list(try sorted(try value.iterated(), reverse: args.value(0, "reverse")?.isTruthy ?? false) { item in
                    guard let keys else { return sortKey(item, caseSensitive: caseSensitive) }
                    return .list(try keys.map { sortKey(try $0(item), caseSensitive: caseSensitive) })
                })
            },
            "string": { value, args in
                try args.check("string", parameters: [])
                return .string(value.text)
            },
            "sum": { value, args in
                try args.check("sum", parameters: ["attribute", "start"])
                var total = args.value(1, "start") ?? .integer(0)
                let key = attributeGetter(args.value(0, "attribute"))
                for item in try value.iterated() { total = try JinjaValue.arithmetic("+", total, try key(item)) }
                return total
            },
            "title": { value, args in
                try args.check("title", parameters: [])
                // jinja2's own: each piece after a run of `-`, white space or an opening bracket, capitalized.
                var out = "", startsWord = true
                for scalar in value.text.unicodeScalars {
                    let separates = PythonString.isSpace(scalar) || "-({[<".unicodeScalars.contains(scalar)
                    out += separates ? String(scalar) : startsWord ? String(scalar).uppercased() : String(scalar).lowercased()
                    startsWord = separates
                }
                return .string(out)
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
                let attribute = attributeGetter(args.value(1, "attribute"))
                var seen: [JinjaValue] = [], result: [JinjaValue] = []
                for item in try value.iterated() {
                    let key = sortKey(try attribute(item), caseSensitive: caseSensitive)
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
                // Python's `\w+` runs: letters, numbers and `_`.
                let scalars = Array(value.text.unicodeScalars)
                return .integer(scalars.indices.filter { i in
                    PythonString.isWord(scalars[i]) && (i == 0 || !PythonString.isWord(scalars[i - 1]))
                }.count)
            },
        ]
        filters["count"] = filters["length"]
        filters["d"] = filters["default"]
        filters["e"] = filters["escape"]
        filters["forceescape"] = filters["escape"]
        return filters
    }()

    /// jinja2's `make_attrgetter`: the item's `attribute` (a dotted path, `"a.b"`, whose digit parts are indices), with
    /// `fallback` for a part that is undefined; the item itself without an attribute.
    private static func attributeGetter(_ attribute: JinjaValue?, default fallback: JinjaValue? = nil) -> (JinjaValue) throws -> JinjaValue {
        let parts: [JinjaValue]
        switch attribute {
        case nil, .none?: parts = []
        case .string(let path)?:
            parts = path.split(separator: ".", omittingEmptySubsequences: false).map { part in
                !part.isEmpty && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber) ? .integer(Int(part)!) : .string(String(part))
            }
        case let other?: parts = [other]
        }
        let replacement = fallback.flatMap { $0.equals(.none) ? nil : $0 }
        return { item in
            try parts.reduce(item) { value, part in
                let found = try value.item(part)
                return found.isUndefined ? replacement ?? found : found
            }
        }
    }

    /// Python's `float(value)`, nil where it fails.
    private static func floatValue(_ value: JinjaValue) throws -> Double? {
        switch value {
        case .float(let d): return d
        case .integer, .boolean: return value.number
        case .string(let s): return Double(PythonString.strip(s, nil).replacingOccurrences(of: "_", with: ""))
        default: return nil
        }
    }

    /// `urllib.parse.quote` of the UTF-8 text: all but letters, digits and `_.-~` as `%XX` (`/` kept in a path;
    /// `query`: `/` quoted too and spaces as `+`).
    private static func urlQuoted(_ text: String, query: Bool) -> String {
        var out = ""
        for byte in text.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if byte < 0x80 && (c.isLetter || c.isNumber || "_.-~".contains(c) || (!query && c == "/")) {
                out.append(c)
            } else if query && c == " " {
                out += "+"
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

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
        let attribute = attributeGetter(args.value(1, "attribute"))
        let items = try sorted(try value.iterated(), reverse: largest) { sortKey(try attribute($0), caseSensitive: caseSensitive) }
        return items.first ?? .undefined(hint: "No aggregated item, sequence was empty.")
    }

    /// `select`/`reject` (`attribute` false: the items themselves) and `selectattr`/`rejectattr`: the items whose value
    /// passes the test named by the first argument (truth when none is named).
    private static func selected(_ value: JinjaValue, _ args: JinjaArguments, keep: Bool, attribute: Bool) throws -> [JinjaValue] {
        var rest = args.positional
        if attribute && rest.isEmpty { throw JinjaError.runtime("Missing parameter for attribute name") }
        let key = attributeGetter(attribute ? rest.removeFirst() : nil)
        let testName = rest.isEmpty ? nil : rest.removeFirst().text
        guard testName.map({ JinjaPredicates.all[$0] != nil }) ?? true else {
            throw JinjaError.runtime("no test named '\(testName!)'")
        }
        let testArguments = JinjaArguments(rest, keywords: args.keywords)
        return try value.iterated().filter { item in
            let subject = try key(item)
            let passes = try testName.map { try JinjaPredicates.all[$0]!(subject, testArguments) } ?? subject.isTruthy
            return passes == keep
        }
    }
}
