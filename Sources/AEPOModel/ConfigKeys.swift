import AEPOCore
import Foundation

/// Typed access to the keys of one JSON object, throwing `InputError`s that name the file and key.
struct ConfigKeys {
    let object: [String: JSONValue]
    let source: String
    let prefix: String

    init(object: [String: JSONValue], source: String, prefix: String = "") {
        self.object = object
        self.source = source
        self.prefix = prefix
    }

    /// The keys of the JSON object in `data`; an error when it is not valid JSON or not an object.
    init(json data: Data, source: String) throws {
        let root: JSONValue
        do {
            root = try JSONValue.parse(data)
        } catch let error as JSONValue.SyntaxError {
            throw InputError(error.description, source: source)
        }
        guard let object = root.objectValue else {
            throw InputError("expected a JSON object, found \(root.typeName)", source: source)
        }
        self.init(object: object, source: source)
    }

    func error(_ key: String, _ message: String) -> InputError {
        InputError(message, source: source, field: prefix + key)
    }

    private func present(_ key: String) -> JSONValue? {
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    private func required(_ key: String) throws -> JSONValue {
        guard let value = present(key) else { throw error(key, "missing required key") }
        return value
    }

    private func int(_ value: JSONValue, _ key: String) throws -> Int {
        guard let v = value.intValue else { throw error(key, "expected an integer, found \(value.typeName)") }
        return v
    }

    /// A required integer in 1...`maximum`.
    func positiveInt(_ key: String, atMost maximum: Int = Int.max) throws -> Int {
        let v = try int(try required(key), key)
        guard v > 0 else { throw error(key, "must be positive, got \(v)") }
        guard v <= maximum else { throw error(key, "\(v) exceeds the supported maximum \(maximum)") }
        return v
    }

    func optionalPositiveInt(_ key: String, atMost maximum: Int) throws -> Int? {
        guard present(key) != nil else { return nil }
        return try positiveInt(key, atMost: maximum)
    }

    /// A token id: an integer ≥ 0, or a list of them (the first is kept), or absent/null.
    func optionalTokenID(_ key: String) throws -> Int? {
        guard let value = present(key) else { return nil }
        let first = value.arrayValue?.first ?? value
        guard let id = first.intValue, id >= 0 else {
            throw error(key, "expected a non-negative integer, a list of them, or null; found \(value.typeName)")
        }
        return id
    }

    func double(_ key: String) throws -> Double {
        let value = try required(key)
        guard let v = value.doubleValue else { throw error(key, "expected a number, found \(value.typeName)") }
        return v
    }

    func optionalDouble(_ key: String) throws -> Double? {
        guard present(key) != nil else { return nil }
        return try double(key)
    }

    func string(_ key: String) throws -> String {
        let value = try required(key)
        guard let v = value.stringValue else { throw error(key, "expected a string, found \(value.typeName)") }
        return v
    }

    func optionalString(_ key: String) throws -> String? {
        guard present(key) != nil else { return nil }
        return try string(key)
    }

    func optionalBool(_ key: String) throws -> Bool? {
        guard let value = present(key) else { return nil }
        guard let v = value.boolValue else { throw error(key, "expected true or false, found \(value.typeName)") }
        return v
    }
}
