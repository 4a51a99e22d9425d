import Foundation

/// One key of a `KeyedConfiguration`'s table: its dotted name and how to read its value as text and set it from text.
public struct ConfigKey<Root>: Sendable {
    public let name: String
    /// Whether the key may be set (only such keys are offered for a misspelt one).
    public let isSettable: Bool
    /// The key's current value in `Root`, as text.
    public let read: @Sendable (Root) -> String
    /// Sets the key from text; returns what is wrong with the text (`nil` when the key is set).
    let write: @Sendable (inout Root, String) -> String?

    /// A typed key at `path`, parsed and printed by its `ConfigValue` conformance.
    public init<Value: ConfigValue>(_ name: String, _ path: WritableKeyPath<Root, Value> & Sendable) {
        self.name = name
        isSettable = true
        read = { $0[keyPath: path].configText }
        write = { root, text in
            guard let value = Value(configText: text) else { return "expected \(Value.expectedDescription), got '\(text)'" }
            root[keyPath: path] = value
            return nil
        }
    }

    /// A free-text key (a path or a list) that may be empty.
    public init(text name: String, _ path: WritableKeyPath<Root, String> & Sendable) {
        self.name = name
        isSettable = true
        read = { $0[keyPath: path] }
        write = { root, text in
            root[keyPath: path] = text.trimmingCharacters(in: .whitespaces)
            return nil
        }
    }

    /// A key that is read (and written in a resolved configuration) but never set; setting it is an error saying `why`.
    public init(fixed name: String, _ path: KeyPath<Root, String> & Sendable, why: String) {
        self.name = name
        isSettable = false
        read = { $0[keyPath: path] }
        write = { _, _ in why }
    }

    /// `key` of the section at `section`: how a configuration embeds the keys of one of its parts.
    public init<Section>(_ key: ConfigKey<Section>, in section: WritableKeyPath<Root, Section> & Sendable) {
        name = key.name
        isSettable = key.isSettable
        read = { key.read($0[keyPath: section]) }
        write = { root, text in key.write(&root[keyPath: section], text) }
    }
}
