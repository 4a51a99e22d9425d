/// The tools an agent can call, by name: runs a call and returns the text for its `<result>` block.
///
/// Every output is capped at `maxOutputCharacters` (a guard for user tools; the built-in tools
/// keep well below it), and an unknown tool name is answered with an error text listing the tools.
public struct ToolEnvironment: Sendable {
    public let tools: [Tool]
    public let maxOutputCharacters: Int

    /// `tools` must have distinct names (a later tool with a taken name is a programming error).
    public init(tools: [Tool], maxOutputCharacters: Int = 4000) {
        var seen: Set<String> = []
        for tool in tools {
            precondition(seen.insert(tool.name).inserted, "two tools are named '\(tool.name)'")
        }
        self.tools = tools
        self.maxOutputCharacters = max(maxOutputCharacters, 1)
    }

    /// The names of the built-in tools, in `standard`'s order (known without a corpus).
    public static let standardToolNames = ["search", "open", "python"]

    /// The built-in tools over `corpus`: `search`, `open` and `python`, plus any `extra` tools.
    public static func standard(corpus: Corpus, searchTopK: Int = 3, extra: [Tool] = []) -> ToolEnvironment {
        ToolEnvironment(tools: [SearchTool(corpus: corpus, topK: searchTopK), PageReaderTool(corpus: corpus), CalculatorTool()] + extra)
    }

    /// Tag names of the tools, in registration order.
    public var toolNames: [String] { tools.map(\.name) }

    /// The trajectory format whose tool tags are these tools' names.
    public var format: TrajectoryFormat { TrajectoryFormat(toolNames: toolNames) }

    public func tool(named name: String) -> Tool? {
        tools.first { $0.name == name }
    }

    /// The kind of the tool called `name` (`.other` for an unknown name).
    public func kind(of name: String) -> ToolKind {
        tool(named: name)?.kind ?? .other
    }

    /// Runs `call` and returns the result text (never throws).
    public func run(_ call: ToolCall) -> String {
        guard let tool = tool(named: call.name) else {
            return "Error: unknown tool '\(call.name)'. Available tools: \(toolNames.joined(separator: ", "))."
        }
        return tool.call(call.input).truncated(to: maxOutputCharacters)
    }
}
