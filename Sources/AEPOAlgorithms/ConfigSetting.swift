import AEPOCore

/// One key set to a value, as text: a `key=value` override or a key of a configuration file (with the line a YAML
/// file sets it on). A `KeyedConfiguration` parses the value once, by the key's type.
public struct ConfigSetting: Equatable, Sendable {
    public var key: String
    public var value: String
    /// The 1-based line of a YAML file's key.
    public var line: Int?

    public init(key: String, value: String, line: Int? = nil) {
        self.key = key
        self.value = value
        self.line = line
    }

    /// `key=value`: the key before the first `=` (trimmed), the value after it as written; an item without `=` is an
    /// `InputError` naming `source`.
    public init(parsing item: String, source: String) throws {
        guard let equals = item.firstIndex(of: "=") else {
            throw InputError("expected key=value, got '\(item)'", source: source)
        }
        self.init(key: String(item[..<equals]).trimmingCharacters(in: .whitespaces), value: String(item[item.index(after: equals)...]))
    }
}
