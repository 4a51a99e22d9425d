import AEPOCore
import Foundation

/// Conformance inputs: a file holding one JSON object or an array of them, answered by one object or an
/// array to match.
enum JSONCases {
    /// Decodes every case of `file`, answers each with `answer(case, fieldPrefix)` and returns the JSON text.
    /// Errors name the file and the field (`[i].name` inside an array).
    static func answer<Case: Decodable, Reply: Encodable>(
        _ type: Case.Type, file: InputFile, _ answer: (Case, String) throws -> Reply
    ) throws -> String {
        let data = try file.read()
        let isArray = data.first(where: { !(" \t\r\n" as String).utf8.contains($0) }) == UInt8(ascii: "[")
        let decoder = JSONDecoder()
        let replies: [Reply]
        do {
            if isArray {
                replies = try decoder.decode([Case].self, from: data).enumerated().map { try answer($1, "[\($0)].") }
            } else {
                replies = [try answer(try decoder.decode(Case.self, from: data), "")]
            }
        } catch let error as DecodingError {
            throw InputError(JSONLines.describe(error), source: file.name)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = isArray ? try encoder.encode(replies) : try encoder.encode(replies[0])
        return String(decoding: json, as: UTF8.self)
    }
}
