import XCTest
@testable import AEPOTools

final class RewardTests: XCTestCase {
    func testSquadNormalisation() {
        XCTAssertEqual(Reward.normalize("  The Eiffel-Tower,  in PARIS! "), "eiffeltower in paris")
        XCTAssertEqual(Reward.normalize("an apple a day"), "apple day")
        XCTAssertEqual(Reward.normalize("O'Brien & Sons"), "obrien sons")
        XCTAssertEqual(Reward.normalize("“Quoted” — text"), "quoted text")
    }

    func testNumbersNormaliseToOneForm() {
        let same: [(String, String)] = [
            ("1,200", "1200"), ("1200.0", "1200"), ("$1,200.00", "1200"), ("3.50", "3.5"), (".5", "0.5"), ("0.50", "0.5"),
            ("(42)", "42"), ("50%", "50"), ("-0", "0"), ("−7", "-7"), ("007", "7"), ("12,345,678", "12345678"), ("3.50.", "3.5"),
            ("-.5", "-0.5"),
        ]
        for (text, canonical) in same {
            XCTAssertEqual(Reward.normalize(text), canonical, text)
        }
        XCTAssertEqual(Reward.normalize("about 1,200 km"), "about 1200 km")
        // Not numbers: odd comma groups, exponents, units glued on, version strings.
        XCTAssertEqual(Reward.normalize("1,20"), "120")
        XCTAssertEqual(Reward.normalize("12km"), "12km")
        XCTAssertEqual(Reward.normalize("1.2.3"), "123")
        XCTAssertTrue(Reward.exactMatch("1,200", answers: ["1200"]))
        XCTAssertTrue(Reward.exactMatch("3.5", answers: ["3.50"]))
        XCTAssertFalse(Reward.exactMatch("35", answers: ["3.5"]))
        XCTAssertFalse(Reward.exactMatch("-5", answers: ["5"]))
    }

    func testTokenF1ByHand() {
        // prediction {mira, talven, orsk}, truth {mira, talven}: P = 2/3, R = 1 → F1 = 2·(2/3)/(5/3) = 0.8.
        XCTAssertEqual(Reward.bestF1("Mira Talven, Orsk", answers: ["Mira Talven"]), 0.8, accuracy: 1e-12)
        // Repeated tokens count as a multiset: pred {x, x, y}, truth {x, y, y}: c = 2, P = R = 2/3 → F1 = 2/3.
        XCTAssertEqual(Reward.bestF1("x x y", answers: ["x y y"]), 2.0 / 3.0, accuracy: 1e-12)
        // The best ground truth counts.
        XCTAssertEqual(Reward.bestF1("Talven Labs", answers: ["Orsk", "Talven Laboratories", "the Talven Labs"]), 1)
        XCTAssertEqual(Reward.bestF1("Orsk", answers: ["Brevik"]), 0)
        XCTAssertEqual(Reward.bestF1("", answers: ["Brevik"]), 0)
    }

    func testYesNoMustMatchExactly() {
        XCTAssertEqual(Reward.bestF1("Yes.", answers: ["yes"]), 1)
        XCTAssertEqual(Reward.bestF1("yes it is", answers: ["yes"]), 0)  // token F1 would give 0.5
        XCTAssertEqual(Reward.bestF1("no", answers: ["yes"]), 0)
    }

    func testTrajectoryRewards() {
        let format = TrajectoryFormat()
        let kind = { (name: String) -> ToolKind in
            ["search": .search, "open": .search, "python": .calculator][name] ?? .other
        }
        func reward(_ text: String, _ answers: [String]) -> Reward.Breakdown {
            Reward.score(format.parse(text), answers: answers, kind: kind)
        }
        let both = "<search> a </search>" + TrajectoryFormat.resultBlock("r") + "<python> 1+1 </python>"
            + TrajectoryFormat.resultBlock("2") + "<answer>\\boxed{Mira Talven Orsk}</answer>"
        XCTAssertEqual(reward(both, ["Mira Talven"]).value, 0.8 + 0.1, accuracy: 1e-12)
        XCTAssertEqual(reward(both, ["Mira Talven"]).bonus, 0.1)
        XCTAssertEqual(reward(both, ["Brevik"]).value, 0)  // no bonus without any overlap
        let openAndPython = both.replacingOccurrences(of: "<search> a </search>", with: "<open> a </open>")
        XCTAssertEqual(reward(openAndPython, ["Mira Talven Orsk"]).value, 1.1, accuracy: 1e-12)
        XCTAssertTrue(reward(openAndPython, ["Mira Talven Orsk"]).exactMatch)
        let searchOnly = "<search> a </search>" + TrajectoryFormat.resultBlock("r") + "<answer>\\boxed{Orsk}</answer>"
        XCTAssertEqual(reward(searchOnly, ["Orsk"]).value, 1)
        let broken = reward("<search> a </search><answer>\\boxed{Orsk}</answer>", ["Orsk"])
        XCTAssertEqual(broken.value, -1)
        XCTAssertFalse(broken.exactMatch)
        XCTAssertEqual(broken.problem, "a tool call not followed by <result>")
        XCTAssertEqual(reward("<answer>Orsk</answer>", ["Orsk"]).value, -1)
    }
}
