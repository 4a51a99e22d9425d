import Foundation

/// One overridable configuration key of `Root`: its dotted name, the type it expects, and how to read
/// and write it as text. `AlgorithmConfig` and the trainer's configuration both list their keys this way.
public struct ConfigKey<Root>: Sendable {
    public let name: String
    /// What a value must look like, for error messages (e.g. "a number", "one of grpo, rloo").
    public let expected: String
    /// The key's current value in `Root`, as text.
    public let read: @Sendable (Root) -> String
    /// Sets the key from text; `false` when the text is not a valid value.
    public let write: @Sendable (inout Root, String) -> Bool

    /// A typed key at `path`, parsed and printed by its `ConfigValue` conformance.
    public init<Value: ConfigValue>(_ name: String, _ path: WritableKeyPath<Root, Value> & Sendable) {
        self.name = name
        expected = Value.expectedDescription
        read = { $0[keyPath: path].configText }
        write = { root, text in
            guard let value = Value(configText: text) else { return false }
            root[keyPath: path] = value
            return true
        }
    }

    /// A free-text key (a path or a list) that may be empty.
    public init(text name: String, _ path: WritableKeyPath<Root, String> & Sendable) {
        self.name = name
        expected = "text"
        read = { $0[keyPath: path] }
        write = { root, text in
            root[keyPath: path] = text.trimmingCharacters(in: .whitespaces)
            return true
        }
    }
}
