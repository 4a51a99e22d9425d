import AEPOCore

/// A configuration set by dotted keys (`actor.clip_ratio_high=0.3`) through one table of typed keys. `AlgorithmConfig`
/// has the algorithm's; `TrainingConfig` embeds them beside the trainer's. Each setting is looked up, parsed by its
/// key's type and written in order, then the whole is validated once.
public protocol KeyedConfiguration {
    /// Every key, in the order a resolved configuration lists them.
    static var keys: [ConfigKey<Self>] { get }
    /// Checks names and ranges; an error names the key.
    func validate(source: String) throws
}

extension KeyedConfiguration {
    /// The current value of `key` as text, or `nil` for an unknown key.
    public func value(of key: String) -> String? {
        Self.keys.first { $0.name == key }?.read(self)
    }

    /// Every key with its value, in `keys` order (the resolved configuration a run writes).
    public var resolved: [(key: String, value: String)] {
        Self.keys.map { ($0.name, $0.read(self)) }
    }

    /// Applies `settings` in order, then validates the result once (so `rollout.n=4 rollout.initial_rollouts=2` works
    /// from any starting point). An unknown key (with the keys of its section), a value that is not of the key's type
    /// or a key that cannot be set is an `InputError` naming `source` and the key; on any error the configuration is
    /// unchanged.
    public mutating func apply(_ settings: [ConfigSetting], source: String) throws {
        var copy = self
        for setting in settings {
            guard let key = Self.keys.first(where: { $0.name == setting.key }) else {
                let section = setting.key.split(separator: ".").first.map(String.init) ?? setting.key
                let near = Self.keys.filter { $0.isSettable && $0.name.hasPrefix(section + ".") }.map(\.name)
                throw InputError("unknown key" + (near.isEmpty ? "" : "; keys of '\(section)': " + near.joined(separator: ", ")),
                                 source: source, field: setting.key)
            }
            if let problem = key.write(&copy, setting.value) { throw InputError(problem, source: source, field: setting.key) }
        }
        try copy.validate(source: source)
        self = copy
    }

    /// Applies `key=value` overrides as `apply(_:source:)` does.
    public mutating func apply(overrides: [String], source: String = "override") throws {
        try apply(overrides.map { try ConfigSetting(parsing: $0, source: source) }, source: source)
    }

    /// Sets `key` from its text form and validates the result; on any error the configuration is unchanged.
    public mutating func set(_ key: String, to text: String, source: String = "override") throws {
        try apply([ConfigSetting(key: key, value: text)], source: source)
    }

    /// Refuses a value out of range unless `ok`: the error names `key`, its value and what is `expected`.
    public func require(_ ok: Bool, _ key: String, _ expected: String, source: String) throws {
        if !ok { throw InputError("\(value(of: key) ?? "?") is out of range; expected \(expected)", source: source, field: key) }
    }
}
