import AEPOCore

/// JSON text as Python's `json.loads` gives it to a template: objects become dictionaries that keep the document's
/// key order (so `tojson` and `items` see the keys as written), arrays lists.
extension JinjaValue {
    /// The value of the JSON document `bytes` (UTF-8); a `JSONValue.SyntaxError` when it is not one (duplicate keys
    /// included).
    public static func parse<Bytes: Collection>(json bytes: Bytes) throws -> JinjaValue where Bytes.Element == UInt8 {
        try JSONValue.parse(bytes, building: Builder())
    }

    private struct Builder: JSONBuilder {
        func scalar(_ value: JSONValue) -> JinjaValue {
            switch value {
            case .bool(let b): return .boolean(b)
            case .integer(let i): return .integer(i)
            case .number(let d): return .float(d)
            case .string(let s): return .string(s)
            default: return .none
            }
        }

        func array(_ items: [JinjaValue]) -> JinjaValue { .list(items) }

        func object(_ members: [(key: String, value: JinjaValue)]) -> JinjaValue {
            var dictionary = JinjaDictionary()
            for (key, value) in members { dictionary[key] = value }
            return .dictionary(dictionary)
        }
    }
}
