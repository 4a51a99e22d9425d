@testable import AEPOCommands
import AEPOCore
import AEPOTestSupport
import Foundation
import XCTest

/// `aepo inspect tool` and `aepo inspect reward`, run in-process.
final class InspectToolsTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try Fixtures.temporaryDirectory("inspect-tools")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func file(_ name: String, _ contents: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try contents.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func testToolCallsOnAUserCorpus() throws {
        let corpus = try file("corpus.jsonl", """
        {"title": "Orsk", "text": "Orsk is a city on the river Vel."}
        {"title": "Vel", "text": "The Vel is a river."}
        """)
        XCTAssertEqual(try InspectTool.parse(["--tool", "search", "--input", "river Vel city", "--corpus", corpus, "--top-k", "1"]).output(),
                       #"{"output":"Page 1: Orsk\nOrsk is a city on the river Vel."}"#)
        XCTAssertEqual(try InspectTool.parse(["--tool", "open", "--input", "vel", "--corpus", corpus]).output(),
                       #"{"output":"Vel\nThe Vel is a river."}"#)
        XCTAssertEqual(try InspectTool.parse(["--tool", "python", "--input", "print(7 // 2)"]).output(), #"{"output":"3"}"#)
        XCTAssertThrowsError(try InspectTool.parse(["--tool", "search", "--input", "x"]).output()) { error in
            XCTAssertEqual("\(error)", "--corpus: the search tool needs --corpus FILE")
        }
        XCTAssertThrowsError(try InspectTool.parse(["--tool", "shell", "--input", "ls", "--corpus", corpus]).output()) { error in
            XCTAssertEqual("\(error)", "--tool: unknown tool 'shell'; expected one of search, open, python")
        }
        let empty = try file("empty.jsonl", "\n")
        XCTAssertThrowsError(try InspectTool.parse(["--tool", "search", "--input", "x", "--corpus", empty]).output()) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(empty): the corpus is empty"), "\(error)")
        }
    }

    func testRewardOfATrajectoryFile() throws {
        let trajectory = try file("t.txt", "<think>x</think><search> Orsk </search>\n<result>\nPage 1: Orsk\n</result>\n<python>1+1</python>\n<result>\n2\n</result>\n<answer>\\boxed{the Vel river}</answer>")
        let output = try InspectReward.parse(["--trajectory", trajectory, "--answer", "Vel", "--answer", "Vel river"]).output()
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        let reward = try XCTUnwrap(json["reward"] as? [String: Any])
        XCTAssertEqual(reward["f1"] as? Double, 1)
        XCTAssertEqual(reward["bonus"] as? Double, 0.1)
        XCTAssertEqual(reward["value"] as? Double, 1.1)
        XCTAssertEqual(reward["exact_match"] as? Bool, true)
        let parsed = try XCTUnwrap(json["parsed"] as? [String: Any])
        XCTAssertEqual((parsed["tool_calls"] as? [[String: String]])?.map { $0["name"] ?? "" }, ["search", "python"])
        let broken = try file("b.txt", "<answer>Vel</answer>")
        XCTAssertTrue(try InspectReward.parse(["--trajectory", broken, "--answer", "Vel"]).output().contains(#""value":-1"#))
    }

    func testUnknownToolIsNamedWithOrWithoutACorpus() throws {
        XCTAssertThrowsError(try InspectTool.parse(["--tool", "bash", "--input", "ls"]).output()) { error in
            XCTAssertEqual("\(error)", "--tool: unknown tool 'bash'; expected one of search, open, python")
        }
    }
}
