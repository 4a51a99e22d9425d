/// A tool call the model wrote: `<name> input </name>`.
public struct ToolCall: Equatable, Codable, Sendable {
    /// The tag name, which is the tool's `name`.
    public var name: String
    /// The text between the tags, leading and trailing whitespace removed.
    public var input: String

    public init(name: String, input: String) {
        self.name = name
        self.input = input
    }
}
