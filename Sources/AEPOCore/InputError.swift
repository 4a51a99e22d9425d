/// A problem with something the user gave us: a file, a line in it, a field, a value.
///
/// The message names where the problem is and what was expected, so commands can print it
/// and exit non-zero instead of crashing or producing garbage.
public struct InputError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file (or other source, such as `--flag` or `config key`) the problem is in.
    public var source: String
    /// 1-based line number for line-oriented inputs.
    public var line: Int?
    /// The field or key inside the source.
    public var field: String?
    /// What is wrong and what was expected.
    public var message: String

    public init(_ message: String, source: String, line: Int? = nil, field: String? = nil) {
        self.source = source
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        var location = source
        if let line { location += ":\(line)" }
        if let field { location += ": field '\(field)'" }
        return "\(location): \(message)"
    }
}
