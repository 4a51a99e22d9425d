/// A template that cannot be parsed, an operation Python would refuse while rendering, or `raise_exception(message)`;
/// with the template's line where known.
public struct JinjaError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable {
        /// The template is not valid Jinja (or uses a filter or test this interpreter does not have).
        case syntax
        /// Rendering failed: an undefined value used, a type error, a bad argument.
        case runtime
        /// The template called `raise_exception(message)`.
        case raised
    }

    public var kind: Kind
    public var message: String
    /// The template's 1-based line.
    public var line: Int?

    public init(_ kind: Kind, _ message: String, line: Int? = nil) {
        self.kind = kind
        self.message = message
        self.line = line
    }

    static func runtime(_ message: String) -> JinjaError {
        JinjaError(.runtime, message)
    }

    public var description: String {
        (line.map { "line \($0): " } ?? "") + (kind == .raised ? "raised by the template: " : "") + message
    }
}
