/// A closed set of entries a user picks by name: a policy loss, an advantage estimator, a loss aggregation, an
/// algorithm preset, an experiment budget, a question suite.
public protocol NamedRegistry {
    /// Every entry, in the order an error lists them.
    static var all: [Self] { get }
    /// The name a user writes.
    var name: String { get }
    /// What an entry is called in errors ("policy loss").
    static var noun: String { get }
    /// The field an error names when the caller names none.
    static var defaultField: String? { get }
}

extension NamedRegistry {
    public static var defaultField: String? { nil }

    /// The entry called `name`, or an `InputError` naming `source` and `field` (default: `defaultField`) that lists
    /// every name.
    public static func named(_ name: String, source: String = "input", field: String? = nil) throws -> Self {
        guard let entry = all.first(where: { $0.name == name }) else {
            throw InputError("unknown \(noun) '\(name)'; expected one of \(all.map(\.name).joined(separator: ", "))",
                             source: source, field: field ?? defaultField)
        }
        return entry
    }
}

extension NamedRegistry where Self: CaseIterable & RawRepresentable, RawValue == String {
    /// An enumeration's entries are its cases, named by their raw values.
    public static var all: [Self] { Array(allCases) }
    public var name: String { rawValue }
}
