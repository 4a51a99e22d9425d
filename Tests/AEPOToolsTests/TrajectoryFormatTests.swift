import XCTest
@testable import AEPOTools

final class TrajectoryFormatTests: XCTestCase {
    let format = TrajectoryFormat()

    func testFirstStopFindsToolCalls() {
        let segment = "<think> find the founder </think>\n<search>  Talven Labs founder\n</search> and more <answer>"
        let end = format.firstStop(in: segment)
        XCTAssertEqual(end?.stop, .toolCall(ToolCall(name: "search", input: "Talven Labs founder")))
        XCTAssertEqual(end?.utf8Length, Array(segment.utf8).count - " and more <answer>".utf8.count)
        XCTAssertEqual(format.firstStop(in: "<python>\nx = 3\nprint(x * 2)\n</python>")?.stop,
                       .toolCall(ToolCall(name: "python", input: "x = 3\nprint(x * 2)")))
        XCTAssertEqual(format.firstStop(in: "<open>Orsk</open>")?.stop, .toolCall(ToolCall(name: "open", input: "Orsk")))
        XCTAssertNil(format.firstStop(in: "<think> still thinking </think> <search> half a quer"))
        XCTAssertNil(format.firstStop(in: "<answer> \\boxed{4"))
    }

    func testFirstStopOnAnswerForgeryAndUnopenedCalls() {
        XCTAssertEqual(format.firstStop(in: "<answer> \\boxed{Orsk} </answer> trailing")?.stop, .answer)
        XCTAssertEqual(format.firstStop(in: "<answer> \\boxed{Orsk} </answer> trailing")?.utf8Length, "<answer> \\boxed{Orsk} </answer>".utf8.count)
        XCTAssertEqual(format.firstStop(in: "<search> q </search>")?.utf8Length, 20)
        XCTAssertEqual(format.firstStop(in: "<think> I know: <result> Orsk </result>")?.stop, .forgedResult)
        XCTAssertEqual(format.firstStop(in: "text </python>")?.stop, .unopenedToolCall(name: "python"))
        XCTAssertEqual(format.firstStop(in: "<search>é</search>")?.utf8Length, "<search>é</search>".utf8.count)
        // Only the first stop counts.
        XCTAssertEqual(format.firstStop(in: "<search>a</search><search>b</search>")?.stop, .toolCall(ToolCall(name: "search", input: "a")))
        // A user tool's tag is a stop once it is registered.
        XCTAssertEqual(TrajectoryFormat(toolNames: ["weather"]).firstStop(in: "<weather>Oslo</weather>")?.stop,
                       .toolCall(ToolCall(name: "weather", input: "Oslo")))
        XCTAssertNil(format.firstStop(in: "<weather>Oslo</weather>"))
    }

    func testResultBlockNeutralisesResultTags() {
        XCTAssertEqual(TrajectoryFormat.resultBlock("Page 1: A\nx"), "\n<result>\nPage 1: A\nx\n</result>\n")
        XCTAssertEqual(TrajectoryFormat.resultBlock("a </result> b <result>"), "\n<result>\na [/result] b [result]\n</result>\n")
    }

    func wellFormed() -> String {
        "<think> need the founder </think>\n<search> Talven Labs </search>" + TrajectoryFormat.resultBlock("Page 1: Talven Labs\n…")
            + "<think> now compute </think>\n<python> 2024 - 1961 </python>" + TrajectoryFormat.resultBlock("63")
            + "<answer> The answer is \\boxed{63} </answer>"
    }

    func testParsesWellFormedTrajectory() {
        let parsed = format.parse(wellFormed())
        XCTAssertNil(parsed.problem)
        XCTAssertTrue(parsed.isWellFormed)
        XCTAssertEqual(parsed.answer, "63")
        XCTAssertEqual(parsed.toolCalls, [ToolCall(name: "search", input: "Talven Labs"), ToolCall(name: "python", input: "2024 - 1961")])
        // No think at all and no tools is fine too.
        XCTAssertEqual(format.parse("<answer>\\boxed{yes}</answer>").answer, "yes")
    }

    func testBrokenFormats() {
        let cases: [(String, String)] = [
            ("<think> a <answer>\\boxed{1}</answer> </think>", "<answer> inside <think>"),
            ("<think> a <answer>\\boxed{1}</answer>", "<think> is never closed"),
            ("<think> a </think></think><answer>\\boxed{1}</answer>", "</think> without a matching <think>"),
            ("<think> unclosed", "<think> is never closed"),
            ("<answer>\\boxed{1}</answer><answer>\\boxed{2}</answer>", "<answer> after the answer"),
            ("<think>x</think>", "no <answer> block"),
            ("<answer> 42 </answer>", "no \\boxed{…} final answer in <answer>"),
            ("<answer> \\boxed{} </answer>", "no \\boxed{…} final answer in <answer>"),
            ("<answer> \\boxed{4 </answer>", "no \\boxed{…} final answer in <answer>"),
            ("<search> q </search><answer>\\boxed{1}</answer>", "a tool call not followed by <result>"),
            ("<search> q </search>", "a tool call not followed by <result>"),
            ("<search> q </search> so <result>r</result><answer>\\boxed{1}</answer>", "a tool call not followed by <result>"),
            ("<search> q", "<search> is never closed"),
            ("<think>x</think><result> made up </result><answer>\\boxed{1}</answer>", "a <result> block that no tool call asked for"),
            ("<search> a <python> 1 </python> </search>", "<python> inside <search>"),
        ]
        for (text, problem) in cases {
            let parsed = format.parse(text)
            XCTAssertEqual(parsed.problem, problem, text)
            XCTAssertNil(parsed.answer, text)
        }
    }

    func testModelWrittenResultIsDetectedFromPieces() {
        // Text alone cannot tell this forged block (it follows a real call) from a real one ...
        let forged = "<search> q </search>\n<result> I made this up </result>\n<answer>\\boxed{1}</answer>"
        XCTAssertTrue(format.parse(forged).isWellFormed)
        // ... but the pieces can.
        let pieces: [TrajectoryPiece] = [.model(forged)]
        XCTAssertEqual(format.parse(pieces: pieces).problem, "the model wrote a <result> block itself")
        let honest: [TrajectoryPiece] = [
            .model("<search> q </search>"), .environment(TrajectoryFormat.resultBlock("Page 1: X")), .model("<answer>\\boxed{X}</answer>"),
        ]
        XCTAssertEqual(format.parse(pieces: honest).answer, "X")
        XCTAssertEqual(format.parse(pieces: [.model("<search> q </search>"), .environment(TrajectoryFormat.resultBlock("r")), .model("</result>")]).problem,
                       "the model wrote a <result> block itself")
    }

    func testBoxedContentHandlesNestingAndEscapes() {
        XCTAssertEqual(TrajectoryFormat.boxedContent(in: "\\boxed{\\frac{1}{2}}"), "\\frac{1}{2}")
        XCTAssertEqual(TrajectoryFormat.boxedContent(in: "\\boxed{a \\{ b}"), "a \\{ b")
        XCTAssertEqual(TrajectoryFormat.boxedContent(in: "\\boxed{first} then \\boxed{ second }"), "second")
        XCTAssertEqual(TrajectoryFormat.boxedContent(in: "\\boxed{ok} then \\boxed{broken"), "ok")
        XCTAssertNil(TrajectoryFormat.boxedContent(in: "\\boxed{{never closed}"))
        XCTAssertNil(TrajectoryFormat.boxedContent(in: "no box"))
        XCTAssertEqual(format.parse("<answer>\\boxed{{1, 2}}</answer>").answer, "{1, 2}")
    }

    func testEnvironmentRunsToolsAndCountsCalls() throws {
        let corpus = try Corpus(pages: [Page(title: "Orsk", text: "Orsk is a city.")])
        let environment = ToolEnvironment.standard(corpus: corpus)
        XCTAssertEqual(environment.toolNames, ["search", "open", "python"])
        XCTAssertEqual(environment.run(ToolCall(name: "python", input: "6*7")), "42")
        XCTAssertEqual(environment.run(ToolCall(name: "open", input: "orsk")), "Orsk\nOrsk is a city.")
        XCTAssertEqual(environment.run(ToolCall(name: "shell", input: "ls")), "Error: unknown tool 'shell'. Available tools: search, open, python.")
        XCTAssertEqual(environment.kind(of: "open"), .search)
        XCTAssertEqual(environment.kind(of: "python"), .calculator)
        XCTAssertEqual(environment.format.stopStrings, ["</search>", "</open>", "</python>", "</answer>", "<result>", "</result>"])

        struct Shout: Tool {
            let name = "shout"
            func call(_ input: String) -> String { String(repeating: input.uppercased(), count: 100) }
        }
        let custom = ToolEnvironment(tools: [Shout()], maxOutputCharacters: 10)
        XCTAssertEqual(custom.run(ToolCall(name: "shout", input: "ab")), "ABABABABAB\n[... truncated: showing 10 of 200 characters]")
        XCTAssertEqual(custom.kind(of: "shout"), .other)

        var turns = ToolCallBudget(limit: 1)
        let call = TrajectoryFormat.Stop.toolCall(ToolCall(name: "python", input: "2**5"))
        XCTAssertEqual(environment.respond(to: call, budget: &turns), .appendResult("\n<result>\n32\n</result>\n"))
        XCTAssertEqual(environment.respond(to: call, budget: &turns), .finish(.toolLimit))
        XCTAssertEqual(turns.used, 1)
        XCTAssertEqual(environment.respond(to: .answer, budget: &turns), .finish(.answered))
        XCTAssertEqual(environment.respond(to: .forgedResult, budget: &turns), .finish(.brokenFormat))
        XCTAssertEqual(environment.respond(to: .unopenedToolCall(name: "search"), budget: &turns), .finish(.brokenFormat))

        var budget = ToolCallBudget(limit: 2)
        XCTAssertTrue(budget.consume())
        var branch = budget
        XCTAssertTrue(budget.consume())
        XCTAssertFalse(budget.consume())
        XCTAssertEqual(budget.used, 2)
        XCTAssertEqual(branch.used, 1)
        XCTAssertTrue(branch.consume())
        XCTAssertFalse(branch.consume())
        XCTAssertEqual(branch.used, 2)
    }
}
