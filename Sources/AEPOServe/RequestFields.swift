import AEPOCore

/// Typed, range-checked access to a body's optional fields (JSON null counts as absent).
struct RequestFields {
    let values: [String: JSONValue]

    /// The fields of a JSON object body; a 400 when the body is not one.
    init(body: [UInt8]) throws {
        let value: JSONValue
        do {
            value = try JSONValue.parse(body)
        } catch {
            throw OpenAIError(.badRequest, "the body is not valid JSON: \(error)", code: "invalid_json")
        }
        guard let fields = value.objectValue else {
            throw OpenAIError(.badRequest, "the body must be a JSON object, found \(value.typeName)", code: "invalid_json")
        }
        values = fields
    }

    private func present(_ key: String) -> JSONValue? {
        if case .null? = values[key] { return nil }
        return values[key]
    }

    func string(_ key: String) throws -> String? {
        guard let v = present(key) else { return nil }
        guard let s = v.stringValue else { throw OpenAIError.invalid(key, "'\(key)' must be a string, found \(v.typeName)") }
        return s
    }

    /// A string field that must be present and non-empty.
    func required(_ key: String) throws -> String {
        guard let s = try string(key), !s.isEmpty else { throw OpenAIError.invalid(key, "'\(key)' is required") }
        return s
    }

    func bool(_ key: String) throws -> Bool? {
        guard let v = present(key) else { return nil }
        guard let b = v.boolValue else { throw OpenAIError.invalid(key, "'\(key)' must be a boolean, found \(v.typeName)") }
        return b
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let v = present(key) else { return nil }
        guard let i = v.intValue else { throw OpenAIError.invalid(key, "'\(key)' must be an integer, found \(v.typeName)") }
        guard range.contains(i) else {
            throw OpenAIError.invalid(key, "'\(key)' must be in \(range.lowerBound)...\(range.upperBound), got \(i)")
        }
        return i
    }

    func number(_ key: String, in range: ClosedRange<Double>) throws -> Double? {
        guard let v = present(key) else { return nil }
        guard let d = v.doubleValue else { throw OpenAIError.invalid(key, "'\(key)' must be a number, found \(v.typeName)") }
        guard range.contains(d) else {
            throw OpenAIError.invalid(key, "'\(key)' must be in \(range.lowerBound)...\(range.upperBound), got \(d)")
        }
        return d
    }
}
