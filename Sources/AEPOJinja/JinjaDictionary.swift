/// A Python `dict` with string keys: lookups by key, iteration in insertion order (as `items`, `tojson` and `for`
/// see it).
public struct JinjaDictionary {
    public private(set) var keys: [String] = []
    private var values: [String: JinjaValue] = [:]

    public init() {}

    public var count: Int { keys.count }

    /// The value for `key`; assigning adds a new key at the end, or replaces the value in place.
    public subscript(key: String) -> JinjaValue? {
        get { values[key] }
        set {
            if let newValue {
                if values.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if values.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// The key-value pairs in insertion order.
    public var items: [(key: String, value: JinjaValue)] {
        keys.map { ($0, values[$0]!) }
    }
}
