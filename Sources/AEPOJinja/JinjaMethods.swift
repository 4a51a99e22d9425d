/// The Python methods templates call on values: `str`'s (`startswith`, `split`, `strip`, `replace`, `format`, …) and `dict`'s
/// (`items`, `keys`, `values`, `get`). Methods that change a value (`list.append`, `dict.update`) do not exist, as in
/// transformers' immutable sandbox.
enum JinjaMethods {
    /// The names of `dict`'s methods, which take precedence over the dictionary's items (`d.items()`).
    static let dictionaryMethods: Set<String> = ["items", "keys", "values", "get"]

    static func call(_ name: String, on value: JinjaValue, _ args: JinjaArguments) throws -> JinjaValue {
        switch value {
        case .string(let s):
            if let result = try stringMethod(name, s, args) { return result }
        case .dictionary(let d) where dictionaryMethods.contains(name):
            return try dictionaryMethod(name, d, args)
        default:
            break
        }
        throw JinjaError.runtime("'\(value.typeName) object' has no attribute '\(name)'")
    }

    private static func text(_ args: JinjaArguments, _ index: Int, _ name: String, method: String) throws -> String {
        guard let value = args.value(index, name) else { throw JinjaError.runtime("\(method)() missing argument '\(name)'") }
        guard case .string(let s) = value else { throw JinjaError.runtime("\(method)() argument '\(name)' must be str, not \(value.typeName)") }
        return s
    }

    /// The optional `chars`/`sep` argument: nil when missing or `None`.
    private static func optionalText(_ args: JinjaArguments, _ index: Int, _ name: String) -> String? {
        guard let value = args.value(index, name), !value.equals(.none) else { return nil }
        return value.text
    }

    private static func stringMethod(_ name: String, _ s: String, _ args: JinjaArguments) throws -> JinjaValue? {
        switch name {
        case "startswith", "endswith":
            try args.check(name, parameters: ["prefix"])
            guard let affix = args.value(0, "prefix") else { throw JinjaError.runtime("\(name)() takes exactly one argument") }
            let candidates: [JinjaValue]
            if case .tuple(let items, _) = affix { candidates = items } else { candidates = [affix] }
            return .boolean(try candidates.contains { candidate in
                guard case .string(let a) = candidate else {
                    throw JinjaError.runtime("\(name) first arg must be str or a tuple of str, not \(candidate.typeName)")
                }
                return name == "startswith" ? s.unicodeScalars.starts(with: a.unicodeScalars)
                    : s.unicodeScalars.reversed().starts(with: a.unicodeScalars.reversed())
            })
        case "strip", "lstrip", "rstrip":
            try args.check(name, parameters: ["chars"])
            return .string(PythonString.strip(s, optionalText(args, 0, "chars"), leading: name != "rstrip", trailing: name != "lstrip"))
        case "split", "rsplit":
            try args.check(name, parameters: ["sep", "maxsplit"])
            let separator = optionalText(args, 0, "sep"), maxSplits = args.value(1, "maxsplit")?.integer ?? -1
            guard name == "rsplit" && maxSplits >= 0 else {
                return .list(try PythonString.split(s, separator, maxSplits: maxSplits).map(JinjaValue.string))
            }
            // From the right: split the reversed text on the reversed separator.
            let reverse = { (t: String) in PythonString.string(t.unicodeScalars.reversed()) }
            let parts = try PythonString.split(reverse(s), separator.map(reverse), maxSplits: maxSplits)
            return .list(parts.reversed().map { .string(reverse($0)) })
        case "replace":
            try args.check(name, parameters: ["old", "new", "count"])
            return .string(PythonString.replace(s, try text(args, 0, "old", method: name), try text(args, 1, "new", method: name),
                                                count: args.value(2, "count")?.integer ?? -1))
        case "upper": return .string(s.uppercased())
        case "lower": return .string(s.lowercased())
        case "title": return .string(PythonString.title(s))
        case "capitalize": return .string(PythonString.capitalize(s))
        case "splitlines": return .list(PythonString.lines(s).map(JinjaValue.string))
        case "find", "count":
            try args.check(name, parameters: ["sub"])
            let needle = Array(try text(args, 0, "sub", method: name).unicodeScalars), scalars = Array(s.unicodeScalars)
            var found: [Int] = [], i = 0
            while i + needle.count <= scalars.count {
                if scalars[i..<i + needle.count].elementsEqual(needle) {
                    found.append(i)
                    if name == "find" { break }
                    i += max(needle.count, 1)
                } else {
                    i += 1
                }
            }
            return .integer(name == "find" ? found.first ?? -1 : found.count)
        case "join":
            try args.check(name, parameters: ["iterable"])
            let items = try (args.value(0, "iterable") ?? .list([])).iterated()
            return .string(try items.enumerated().map { index, item in
                guard case .string(let part) = item else {
                    throw JinjaError.runtime("sequence item \(index): expected str instance, \(item.typeName) found")
                }
                return part
            }.joined(separator: s))
        case "format":
            return .string(try StringFormatter.format(s, args.positional, args.keywordDictionary))
        case "format_map":
            guard args.keywords.isEmpty else { throw JinjaError.runtime("format_map() takes no keyword arguments") }
            guard args.positional.count == 1 else {
                throw JinjaError.runtime("format_map() takes exactly one argument (\(args.positional.count) given)")
            }
            guard case .dictionary(let mapping) = args.positional[0] else {
                throw JinjaError.runtime("'\(args.positional[0].typeName)' object is not subscriptable")
            }
            return .string(try StringFormatter.format(s, [], mapping))
        case "isdigit": return .boolean(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.numericType != nil })
        case "isalpha": return .boolean(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic })
        case "isspace": return .boolean(!s.isEmpty && s.unicodeScalars.allSatisfy(PythonString.isSpace))
        case "islower": return .boolean(s == s.lowercased() && s != s.uppercased())
        case "isupper": return .boolean(s == s.uppercased() && s != s.lowercased())
        default: return nil
        }
    }

    private static func dictionaryMethod(_ name: String, _ d: JinjaDictionary, _ args: JinjaArguments) throws -> JinjaValue {
        if name == "get" {
            try args.check(name, parameters: ["key", "default"])
            guard let key = args.value(0, "key") else { throw JinjaError.runtime("get() takes at least one argument") }
            guard case .string(let k) = key, let value = d[k] else { return args.value(1, "default") ?? .none }
            return value
        }
        try args.check(name, parameters: [])
        switch name {
        case "keys": return .list(d.keys.map(JinjaValue.string))
        case "values": return .list(d.items.map(\.value))
        default: return .list(d.items.map { .tuple([.string($0.key), $0.value]) })
        }
    }
}
