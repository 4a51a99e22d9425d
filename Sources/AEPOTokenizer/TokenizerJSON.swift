import AEPOCore
import Foundation

/// One value inside a `tokenizer.json`, with its JSON path, so every complaint names the file
/// and the place in it (`pre_tokenizer.pretokenizers[0].type`).
struct JSONNode {
    let value: Any?
    let path: String
    let source: String

    /// Parses `data`; malformed JSON is an `InputError` naming `source`.
    static func parse(_ data: Data, source: String) throws -> JSONNode {
        do {
            let value = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return JSONNode(value: value, path: "", source: source)
        } catch {
            throw InputError("malformed JSON (\(error.localizedDescription))", source: source)
        }
    }

    func error(_ message: String) -> InputError {
        InputError(message, source: source, field: path.isEmpty ? nil : path)
    }

    /// True for JSON `null` and for a key that is absent.
    var isNull: Bool { value == nil || value is NSNull }

    /// The member `key` of an object (absent members read as null).
    subscript(key: String) -> JSONNode {
        let member = (value as? [String: Any])?[key]
        return JSONNode(value: member, path: path.isEmpty ? key : "\(path).\(key)", source: source)
    }

    func string() throws -> String {
        guard let text = value as? String else { throw error(isNull ? "missing string" : "expected a string") }
        return text
    }

    func int() throws -> Int {
        guard let number = value as? NSNumber, let exact = Int(exactly: number.doubleValue) else {
            throw error(isNull ? "missing integer" : "expected an integer")
        }
        return exact
    }

    func bool() throws -> Bool {
        guard let flag = value as? Bool else { throw error(isNull ? "missing boolean" : "expected true or false") }
        return flag
    }

    /// A boolean that may be absent or null, in which case it is `defaultValue`.
    func bool(default defaultValue: Bool) throws -> Bool {
        isNull ? defaultValue : try bool()
    }

    func array() throws -> [JSONNode] {
        guard let items = value as? [Any] else { throw error(isNull ? "missing array" : "expected an array") }
        return items.enumerated().map { JSONNode(value: $0.element, path: "\(path)[\($0.offset)]", source: source) }
    }

    /// The members of an object (in no particular order).
    func members() throws -> [(key: String, node: JSONNode)] {
        guard let object = value as? [String: Any] else { throw error(isNull ? "missing object" : "expected an object") }
        return object.map { (key: $0.key, node: self[$0.key]) }
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
    /// `text` as a JSON string literal (non-ASCII kept as UTF-8, control characters escaped).
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func bool(_ flag: Bool) -> String { flag ? "true" : "false" }
}
