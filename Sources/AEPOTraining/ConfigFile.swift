import AEPOAlgorithms
import AEPOCore
import Foundation
import Yams

/// Reads a training configuration file: YAML (`.yaml`, `.yml`, or any other name) or JSON (`.json`), whose keys
/// are dotted names (`rollout.n: 8`) or nested sections (`rollout: {n: 8, branch: {alpha: 0.5}}`), both flattened
/// to dotted keys. A list value (e.g. `data.suites`) becomes comma-separated text; a YAML null becomes empty text.
/// Each key becomes one `ConfigSetting`, which the configuration parses by the key's type.
public enum ConfigFile {
    /// The file's settings (JSON: in sorted key order; YAML: in document order, with their lines). Errors name the file, the key and,
    /// for YAML, the line; a key set twice (e.g. nested and dotted) is an error.
    public static func read(_ url: URL) throws -> [ConfigSetting] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw InputError("cannot read file", source: url.path) }
        return try parse(data, json: url.pathExtension.lowercased() == "json", source: url.path)
    }

    /// Parses the text of a configuration file as JSON or as YAML; `source` names it in errors.
    public static func parse(_ data: Data, json: Bool, source: String) throws -> [ConfigSetting] {
        let entries = try json ? parseJSON(data, source: source) : parseYAML(data, source: source)
        var seen: [String: ConfigSetting] = [:]
        for entry in entries {
            if let first = seen[entry.key] {
                throw InputError("key set twice" + (first.line.map { " (first on line \($0))" } ?? ""),
                                 source: source, line: entry.line, field: entry.key)
            }
            seen[entry.key] = entry
        }
        return entries
    }

    // MARK: JSON

    private static func parseJSON(_ data: Data, source: String) throws -> [ConfigSetting] {
        let root: JSONValue
        do { root = try JSONValue.parse(data) } catch let error as JSONValue.SyntaxError {
            throw InputError(error.description, source: source)
        }
        guard case .object = root else { throw InputError("expected a JSON object of configuration keys", source: source) }
        var entries: [ConfigSetting] = []
        try flatten(root, prefix: "", into: &entries, source: source)
        return entries
    }

    private static func flatten(_ value: JSONValue, prefix: String, into entries: inout [ConfigSetting], source: String) throws {
        switch value {
        case .object(let members):
            for key in members.keys.sorted() {
                try flatten(members[key]!, prefix: dotted(prefix, key), into: &entries, source: source)
            }
        case .array(let elements):
            entries.append(ConfigSetting(key: prefix, value: try elements.map { try scalar($0, key: prefix, source: source) }.joined(separator: ",")))
        default:
            entries.append(ConfigSetting(key: prefix, value: try scalar(value, key: prefix, source: source)))
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

    // MARK: YAML

    private static func parseYAML(_ data: Data, source: String) throws -> [ConfigSetting] {
        guard let text = String(data: data, encoding: .utf8) else { throw InputError("not UTF-8 text", source: source) }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch let error as YamlError {
            throw inputError(error, source: source)
        }
        guard let root, case .mapping(let mapping) = root else {
            throw InputError("expected a mapping of configuration keys", source: source, line: root?.mark?.line)
        }
        var entries: [ConfigSetting] = []
        try flatten(mapping, prefix: "", into: &entries, source: source)
        return entries
    }

    private static func flatten(_ mapping: Node.Mapping, prefix: String, into entries: inout [ConfigSetting], source: String) throws {
        for (keyNode, value) in mapping {
            guard let name = keyNode.scalar?.string, !name.isEmpty else {
                throw InputError("expected a key name", source: source, line: keyNode.mark?.line, field: prefix.isEmpty ? nil : prefix)
            }
            let key = dotted(prefix, name)
            let line = keyNode.mark?.line
            switch value {
            case .mapping(let nested):
                try flatten(nested, prefix: key, into: &entries, source: source)
            case .sequence(let elements):
                let texts = try elements.map { element -> String in
                    guard let text = scalar(element) else {
                        throw InputError("expected a list of numbers, booleans or strings", source: source, line: element.mark?.line, field: key)
                    }
                    return text
                }
                entries.append(ConfigSetting(key: key, value: texts.joined(separator: ","), line: line))
            case .scalar, .alias:
                guard let text = scalar(value) else {
                    throw InputError("expected a number, boolean or string", source: source, line: line, field: key)
                }
                entries.append(ConfigSetting(key: key, value: text, line: line))
            }
        }
    }

    /// A scalar's text as written (a null is empty); `nil` for a mapping or a sequence.
    private static func scalar(_ node: Node) -> String? {
        guard let scalar = node.scalar else { return nil }
        return node.null != nil ? "" : scalar.string
    }

    private static func inputError(_ error: YamlError, source: String) -> InputError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let within = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            return InputError("malformed YAML: \(problem)\(within)", source: source, line: mark.line)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return InputError("key set twice in the mapping on this line: \(duplicates.joined(separator: ", "))", source: source, line: context.mark.line)
        default:
            return InputError("malformed YAML: \(error)", source: source)
        }
    }

    private static func dotted(_ prefix: String, _ key: String) -> String {
        prefix.isEmpty ? key : prefix + "." + key
    }
}
