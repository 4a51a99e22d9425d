import AEPOCore
import AEPOTools
import ArgumentParser
import Foundation

/// `aepo inspect tool --tool NAME --input TEXT [--corpus FILE]`: one tool call, as the agent would make it.
struct InspectTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tool",
        abstract: "Run one tool call (search, open or python) and print {\"output\": …} as JSON.",
        discussion: """
        search and open need --corpus, a JSON Lines file of {"title": …, "text": …} pages (titles unique). \
        The output is exactly the text the agent would place inside <result>…</result>.
        """
    )

    @Option(name: .long, help: "Tool name: search, open or python.")
    var tool: String

    @Option(name: .long, help: "The text inside the tool's tags: a query, a page title or a program.")
    var input: String

    @Option(name: .long, help: "JSON Lines corpus for search and open.")
    var corpus: String?

    @Option(name: .long, help: "Pages per search result.")
    var topK: Int = 3

    func output() throws -> String {
        guard ToolEnvironment.standardToolNames.contains(tool) else {
            throw InputError("unknown tool '\(tool)'; expected one of \(ToolEnvironment.standardToolNames.joined(separator: ", "))",
                             source: "--tool")
        }
        let environment: ToolEnvironment
        if let corpus {
            environment = .standard(corpus: try Corpus.load(from: URL(fileURLWithPath: corpus)), searchTopK: topK)
        } else if tool == CalculatorTool().name {
            environment = ToolEnvironment(tools: [CalculatorTool()])
        } else {
            throw InputError("the \(tool) tool needs --corpus FILE", source: "--corpus")
        }
        return try JSONText.encode(["output": environment.run(ToolCall(name: tool, input: input))])
    }

    func run() throws {
        print(try output())
    }
}
