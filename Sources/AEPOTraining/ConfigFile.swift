import AEPOCore
import Foundation

/// Reads a training configuration file: a JSON object whose keys are dotted names (`"rollout.n": 8`) or nested
/// sections (`{"rollout": {"n": 8, "branch": {"alpha": 0.5}}}`), both flattened to dotted keys. A list value
/// (e.g. `data.suites`) becomes comma-separated text.
public enum ConfigFile {
    /// The file's `(key, value)` pairs in sorted key order; errors name the file and the key.
    public static func read(_ url: URL) throws -> [(key: String, value: String)] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw InputError("cannot read file", source: url.path) }
        let root: JSONValue
        do { root = try JSONValue.parse(data) } catch let error as JSONValue.SyntaxError {
            throw InputError(error.description, source: url.path)
        }
        guard case .object = root else { throw InputError("expected a JSON object of configuration keys", source: url.path) }
        var items: [(key: String, value: String)] = []
        try flatten(root, prefix: "", into: &items, source: url.path)
        return items
    }

    private static func flatten(_ value: JSONValue, prefix: String, into items: inout [(key: String, value: String)], source: String) throws {
        switch value {
        case .object(let members):
            for key in members.keys.sorted() {
                try flatten(members[key]!, prefix: prefix.isEmpty ? key : prefix + "." + key, into: &items, source: source)
            }
        case .array(let elements):
            items.append((prefix, try elements.map { try scalar($0, key: prefix, source: source) }.joined(separator: ",")))
        default:
            items.append((prefix, try scalar(value, key: prefix, source: source)))
        }
    }

    private static func scalar(_ value: JSONValue, key: String, source: String) throws -> String {
        switch value {
        case .bool(let v): return v ? "true" : "false"
        case .integer(let v): return String(v)
        case .number(let v): return "\(v)"
        case .string(let v): return v
        default: throw InputError("expected a number, boolean or string, got \(value.typeName)", source: source, field: key)
        }
    }
}
