import AEPOCore
import Foundation
import XCTest
@testable import AEPOTools

/// Random token soup must never crash a tool or the parser, and must answer quickly.
final class FuzzTests: XCTestCase {
    func soup(_ pieces: [String], count: Int, _ generator: inout SeededGenerator) -> String {
        (0..<count).map { _ in pieces.randomElement(using: &generator)! }.joined()
    }

    func testCalculatorSurvivesRandomPrograms() {
        let pieces = ["1", "0", "2.5", "9**9", "1e308", ".5", "_", "(", ")", "+", "-", "*", "/", "//", "%", "**", "abs(", "min(",
                      "max(", "round(", "int(", "float(", "pow(", "print(", ",", "x", "=", "\n", ";", " ", "é", "'s'", "\"", "#",
                      "1_0", "0.0", "-0.0", "10**400", "2**4095", "e", ".", "[", "\u{0}", "🙂"]
        var generator = SeededGenerator(seed: 3)
        let calculator = CalculatorTool()
        let start = Date()
        for _ in 0..<3000 {
            let program = soup(pieces, count: Int.random(in: 1...40, using: &generator), &generator)
            let output = calculator.call(program)
            XCTAssertFalse(output.isEmpty, program)
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 20)
    }

    func testParserSurvivesRandomTrajectories() {
        let pieces = ["<think>", "</think>", "<search>", "</search>", "<python>", "</python>", "<open>", "</open>", "<result>",
                      "</result>", "<answer>", "</answer>", "\\boxed{", "{", "}", "\\", "x", " ", "\n", "<", ">", "é", "</"]
        var generator = SeededGenerator(seed: 5)
        let format = TrajectoryFormat()
        for _ in 0..<3000 {
            let text = soup(pieces, count: Int.random(in: 0...30, using: &generator), &generator)
            let parsed = format.parse(text)
            XCTAssertEqual(parsed.answer == nil, parsed.problem != nil, text)
            if let end = format.firstStop(in: text) {
                XCTAssertLessThanOrEqual(end.utf8Length, text.utf8.count)
            }
            _ = Reward.score(parsed, answers: ["x"]) { _ in .other }
        }
    }
}
