import AEPOCore
import Foundation

/// One value inside a `tokenizer.json`, with its JSON path, so every complaint names the file
/// and the place in it (`pre_tokenizer.pretokenizers[0].type`).
struct JSONNode {
    /// The value, or nil for a member that is absent.
    let value: JSONValue?
    let path: String
    let source: String

    /// Parses `data`; malformed JSON is an `InputError` naming `source`.
    static func parse(_ data: Data, source: String) throws -> JSONNode {
        do {
            return JSONNode(value: try JSONValue.parse(data), path: "", source: source)
        } catch let error as JSONValue.SyntaxError {
            throw InputError(error.description, source: source)
        }
    }

    func error(_ message: String) -> InputError {
        InputError(message, source: source, field: path.isEmpty ? nil : path)
    }

    /// True for JSON `null` and for a member that is absent.
    var isNull: Bool { value == nil || value == .null }

    /// The member `key` of an object (absent members read as null).
    subscript(key: String) -> JSONNode {
        JSONNode(value: value?.objectValue?[key], path: path.isEmpty ? key : "\(path).\(key)", source: source)
    }

    private func expected(_ type: String) -> InputError {
        error(isNull ? "missing \(type)" : "expected \(type == "object" || type == "array" || type == "integer" ? "an" : "a") \(type), found \(value!.typeName)")
    }

    func string() throws -> String {
        guard let text = value?.stringValue else { throw expected("string") }
        return text
    }

    func int() throws -> Int {
        guard let number = value?.intValue else { throw expected("integer") }
        return number
    }

    func bool() throws -> Bool {
        guard let flag = value?.boolValue else { throw expected("boolean") }
        return flag
    }

    /// A boolean that may be absent or null, in which case it is `defaultValue`.
    func bool(default defaultValue: Bool) throws -> Bool {
        isNull ? defaultValue : try bool()
    }

    func array() throws -> [JSONNode] {
        guard let items = value?.arrayValue else { throw expected("array") }
        return items.enumerated().map { JSONNode(value: $0.element, path: "\(path)[\($0.offset)]", source: source) }
    }

    /// The members of an object (in no particular order).
    func members() throws -> [(key: String, node: JSONNode)] {
        guard let object = value?.objectValue else { throw expected("object") }
        return object.map { (key: $0.key, node: JSONNode(value: $0.value, path: path.isEmpty ? $0.key : "\(path).\($0.key)", source: source)) }
    }

    /// The `type` tag of a component, for dispatch.
    func typeName() throws -> String {
        try self["type"].string()
    }

    /// The error for a component type this tokenizer does not implement.
    func unsupported(_ what: String, supported: [String]) throws -> InputError {
        let name = (try? typeName()) ?? "?"
        return self["type"].error("unsupported \(what) type '\(name)' (supported: \(supported.joined(separator: ", ")))")
    }
}

/// Writing JSON text by hand, so saved files are byte-for-byte reproducible and keep vocabulary order.
enum JSONText {
    /// `text` as a JSON string literal.
    static func quote(_ text: String) -> String {
        JSONValue.string(text).serialized()
    }

    static func bool(_ flag: Bool) -> String { flag ? "true" : "false" }
}
