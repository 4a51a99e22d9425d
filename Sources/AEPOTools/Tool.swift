/// A tool the agent can call: it receives the text the model wrote inside the tool's tags and
/// returns the text placed inside `<result>…</result>`.
///
/// A tool never throws and never crashes the rollout: bad input, oversized input or an internal
/// failure comes back as an error text that the model reads.
public protocol Tool: Sendable {
    /// The tag name the model writes, e.g. `search` for `<search> query </search>`.
    var name: String { get }
    /// What kind of tool this is, for the reward's "used both tool kinds" bonus (docs/algorithm.md §3.2).
    /// Defaults to `.other`.
    var kind: ToolKind { get }
    /// Runs the tool on the model's input and returns the result text.
    func call(_ input: String) -> String
}

extension Tool {
    public var kind: ToolKind { .other }
}

/// The two tool kinds of the reward's bonus (docs/algorithm.md §3.2): information seeking (`search`, `open`) and
/// computation (`python`). User tools are `.other` unless they say otherwise.
public enum ToolKind: String, Codable, Sendable, CaseIterable {
    case search
    case calculator
    case other
}

/// One document of a corpus: what `search` ranks and `open` reads.
public struct Page: Codable, Equatable, Sendable {
    public var title: String
    public var text: String

    public init(title: String, text: String) {
        self.title = title
        self.text = text
    }
}
