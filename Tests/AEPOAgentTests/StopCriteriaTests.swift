import AEPOAgent
import AEPOTools
import XCTest

final class StopCriteriaTests: XCTestCase {
    /// A tokenizer without tag tokens: the stop string is found across token pieces.
    func testStopStringsAcrossTokens() {
        let pieces = ["<sea", "rch> a b </", "sea", "rch", "> tail", "<|eos|>"]
        let criteria = StopCriteria(endTokens: [5], stopStrings: TrajectoryFormat().stopStrings) { pieces[$0] }
        var scanner = StopCriteria.Scanner(criteria)
        XCTAssertNil(scanner.feed(0))
        XCTAssertNil(scanner.feed(1))
        XCTAssertNil(scanner.feed(2))
        XCTAssertNil(scanner.feed(3))
        XCTAssertEqual(scanner.feed(4), .stopString("</search>"))
        var eos = StopCriteria.Scanner(criteria)
        XCTAssertEqual(eos.feed(5), .endToken)
        var none = StopCriteria.Scanner(criteria)
        XCTAssertNil(none.feed(0), "an opening tag does not stop")
    }
}
