/// A parsed JSON document that keeps what `JSONDecoder` hides: whether a number was written as an
/// integer, and duplicate object keys (rejected). Used where a file format must be validated key by
/// key (`config.json`, safetensors headers) with errors naming the key and the expected type.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits in `Int`.
    case integer(Int)
    /// Any other number.
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Why a byte sequence is not one JSON value (RFC 8259), with the byte offset of the problem.
    public struct SyntaxError: Error, CustomStringConvertible, Sendable {
        public var offset: Int
        public var reason: String
        public var description: String { "malformed JSON at byte \(offset): \(reason)" }
    }

    /// Parses exactly one JSON value (surrounding whitespace allowed) from UTF-8 bytes.
    public static func parse<Bytes: Collection>(_ bytes: Bytes) throws -> JSONValue where Bytes.Element == UInt8 {
        try parse(bytes, building: JSONValueBuilder())
    }

    /// Parses exactly one JSON value from UTF-8 bytes into `builder`'s values, which see each object's members in
    /// the document's order (duplicate keys are rejected).
    public static func parse<Bytes: Collection, Builder: JSONBuilder>(_ bytes: Bytes, building builder: Builder) throws -> Builder.Value
    where Bytes.Element == UInt8 {
        var parser = Parser(bytes: Array(bytes), builder: builder)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.position == parser.bytes.count else { throw parser.error("unexpected data after the value") }
        return value
    }

    /// Short name of the JSON type, for error messages ("expected integer, found string").
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .integer: return "integer"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// The value as `Int` when it was written as an integer.
    public var intValue: Int? { if case .integer(let v) = self { return v } else { return nil } }
    /// The value as `Double` for any number.
    public var doubleValue: Double? {
        switch self {
        case .integer(let v): return Double(v)
        case .number(let v): return v
        default: return nil
        }
    }
    public var boolValue: Bool? { if case .bool(let v) = self { return v } else { return nil } }
    public var stringValue: String? { if case .string(let v) = self { return v } else { return nil } }
    public var arrayValue: [JSONValue]? { if case .array(let v) = self { return v } else { return nil } }
    public var objectValue: [String: JSONValue]? { if case .object(let v) = self { return v } else { return nil } }

    /// Serialises with object keys sorted, so equal values give equal bytes. `indent` > 0 pretty-prints
    /// with that many spaces per level. Doubles use Swift's shortest round-trip form (`10000.0`, `1e-06`);
    /// non-finite doubles, which JSON cannot express, are written as `null`.
    public func serialized(indent: Int = 0) -> String {
        var out = ""
        write(into: &out, indent: indent, level: 0)
        return out
    }

    private func write(into out: inout String, indent: Int, level: Int) {
        let newline = indent > 0 ? "\n" : ""
        let pad = { (level: Int) in String(repeating: " ", count: indent * level) }
        switch self {
        case .null: out += "null"
        case .bool(let v): out += v ? "true" : "false"
        case .integer(let v): out += String(v)
        case .number(let v): out += v.isFinite ? "\(v)" : "null"
        case .string(let v): JSONValue.writeString(v, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "[" + newline
            for (i, item) in items.enumerated() {
                out += pad(level + 1)
                item.write(into: &out, indent: indent, level: level + 1)
                out += (i + 1 < items.count ? "," : "") + newline
            }
            out += pad(level) + "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{" + newline
            let keys = members.keys.sorted()
            for (i, key) in keys.enumerated() {
                out += pad(level + 1)
                JSONValue.writeString(key, into: &out)
                out += indent > 0 ? ": " : ":"
                members[key]!.write(into: &out, indent: indent, level: level + 1)
                out += (i + 1 < keys.count ? "," : "") + newline
            }
            out += pad(level) + "}"
        }
    }

    private static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
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
        out += "\""
    }
}

/// Makes values of its own type from the parts of a JSON document (`JSONValue.parse(_:building:)`).
public protocol JSONBuilder {
    associatedtype Value
    /// A scalar: `.null`, `.bool`, `.integer`, `.number` or `.string`.
    func scalar(_ value: JSONValue) -> Value
    func array(_ items: [Value]) -> Value
    /// An object's members in the document's order, each key once.
    func object(_ members: [(key: String, value: Value)]) -> Value
}

/// Builds `JSONValue`s (whose objects do not keep the document's order).
private struct JSONValueBuilder: JSONBuilder {
    func scalar(_ value: JSONValue) -> JSONValue { value }
    func array(_ items: [JSONValue]) -> JSONValue { .array(items) }
    func object(_ members: [(key: String, value: JSONValue)]) -> JSONValue {
        .object(Dictionary(uniqueKeysWithValues: members.map { ($0.key, $0.value) }))
    }
}

/// A recursive-descent parser over UTF-8 bytes.
private struct Parser<Builder: JSONBuilder> {
    typealias Value = Builder.Value
    let bytes: [UInt8]
    let builder: Builder
    var position = 0
    /// Deeper nesting is refused rather than risking the stack.
    static var maximumDepth: Int { 256 }

    init(bytes: [UInt8], builder: Builder) {
        self.bytes = bytes
        self.builder = builder
    }

    func error(_ reason: String) -> JSONValue.SyntaxError {
        JSONValue.SyntaxError(offset: position, reason: reason)
    }

    mutating func skipWhitespace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    mutating func value(depth: Int) throws -> Value {
        guard depth < Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth)") }
        guard position < bytes.count else { throw error("unexpected end of data") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return builder.scalar(.string(try string()))
        case UInt8(ascii: "t"): try literal("true"); return builder.scalar(.bool(true))
        case UInt8(ascii: "f"): try literal("false"); return builder.scalar(.bool(false))
        case UInt8(ascii: "n"): try literal("null"); return builder.scalar(.null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return builder.scalar(try number())
        default: throw error("unexpected character")
        }
    }

    mutating func literal(_ word: String) throws {
        let utf8 = Array(word.utf8)
        guard position + utf8.count <= bytes.count, Array(bytes[position..<position + utf8.count]) == utf8 else {
            throw error("invalid literal")
        }
        position += utf8.count
    }

    mutating func object(depth: Int) throws -> Value {
        position += 1
        var members: [(key: String, value: Value)] = [], keys: Set<String> = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return builder.object(members) }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let keyStart = position
            let key = try string()
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw error("expected ':'") }
            position += 1
            skipWhitespace()
            members.append((key, try value(depth: depth + 1)))
            guard keys.insert(key).inserted else {
                throw JSONValue.SyntaxError(offset: keyStart, reason: "duplicate key '\(key)'")
            }
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of data in object") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "}") { position += 1; return builder.object(members) }
            throw error("expected ',' or '}'")
        }
    }

    mutating func array(depth: Int) throws -> Value {
        position += 1
        var items: [Value] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return builder.array(items) }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth + 1))
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of data in array") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "]") { position += 1; return builder.array(items) }
            throw error("expected ',' or ']'")
        }
    }

    mutating func string() throws -> String {
        position += 1
        var scalars = String.UnicodeScalarView()
        var runStart = position
        func flush(_ end: Int) throws {
            guard runStart < end else { return }
            guard let run = String(validating: bytes[runStart..<end], as: UTF8.self) else {
                throw JSONValue.SyntaxError(offset: runStart, reason: "invalid UTF-8 in string")
            }
            scalars.append(contentsOf: run.unicodeScalars)
        }
        while true {
            guard position < bytes.count else { throw error("unterminated string") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                try flush(position)
                position += 1
                return String(scalars)
            }
            if byte < 0x20 { throw error("control character in string") }
            if byte != UInt8(ascii: "\\") { position += 1; continue }
            try flush(position)
            position += 1
            guard position < bytes.count else { throw error("unterminated escape") }
            let escape = bytes[position]
            position += 1
            switch escape {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code) {
                    guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                        throw error("unpaired surrogate")
                    }
                    position += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else { throw error("unpaired surrogate") }
                scalars.append(scalar)
            default: throw error("invalid escape")
            }
            runStart = position
        }
    }

    mutating func hex4() throws -> UInt32 {
        guard position + 4 <= bytes.count,
              let text = String(validating: bytes[position..<position + 4], as: UTF8.self),
              let code = UInt32(text, radix: 16) else { throw error("invalid \\u escape") }
        position += 4
        return code
    }

    mutating func number() throws -> JSONValue {
        let start = position
        var isInteger = true
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        func digits() -> Int {
            let first = position
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
            return position - first
        }
        let integerStart = position
        let integerDigits = digits()
        guard integerDigits > 0 else { throw error("expected a digit") }
        guard integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else {
            throw JSONValue.SyntaxError(offset: integerStart, reason: "leading zero in number")
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard digits() > 0 else { throw error("expected a digit after '.'") }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw error("expected a digit in exponent") }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if isInteger, let v = Int(text) { return .integer(v) }
        guard let v = Double(text) else { throw JSONValue.SyntaxError(offset: start, reason: "number out of range") }
        return .number(v)
    }
}
