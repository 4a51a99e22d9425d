import Foundation

/// Reading and writing JSON Lines (one JSON value per line), with errors that name the file and line.
public enum JSONLines {
    /// Decodes every non-empty line of `url` as `T`.
    public static func read<T: Decodable>(_ type: T.Type, from url: URL) throws -> [T] {
        try readNumbered(type, from: url).map(\.value)
    }

    /// Decodes every non-empty line of `url` as `T`, keeping each value's 1-based line number
    /// so that later checks (duplicates, empty fields) can name the line too.
    public static func readNumbered<T: Decodable>(_ type: T.Type, from url: URL) throws -> [(line: Int, value: T)] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw InputError("cannot read file", source: url.path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputError("file is not valid UTF-8", source: url.path)
        }
        let decoder = JSONDecoder()
        var values: [(line: Int, value: T)] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            do {
                values.append((index + 1, try decoder.decode(T.self, from: Data(trimmed.utf8))))
            } catch let error as DecodingError {
                throw InputError(describe(error), source: url.path, line: index + 1)
            }
        }
        return values
    }

    /// Encodes `values` one per line (keys sorted, so output is byte-for-byte reproducible) and writes atomically.
    public static func write<T: Encodable>(_ values: [T], to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for value in values {
            data.append(try encoder.encode(value))
            data.append(0x0A)
        }
        try AtomicFile.write(data, to: url)
    }

    /// A one-line explanation of a decoding error: the key path and what was expected.
    public static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return "missing field '\(parent.isEmpty ? key.stringValue : parent + "." + key.stringValue)'"
        case .typeMismatch(let type, let context):
            return "field '\(path(context.codingPath))': expected \(type)"
        case .valueNotFound(let type, let context):
            return "field '\(path(context.codingPath))': expected \(type), found null"
        case .dataCorrupted(let context):
            let where_ = path(context.codingPath)
            return where_.isEmpty ? "malformed JSON" : "field '\(where_)': \(context.debugDescription)"
        @unknown default:
            return "malformed JSON"
        }
    }
}
