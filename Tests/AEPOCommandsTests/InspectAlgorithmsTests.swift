@testable import AEPOCommands
import AEPOCore
import AEPOTestSupport
import Foundation
import XCTest

/// `aepo inspect policy-loss` and `aepo inspect advantages`, run in-process on `losses/reference-7.json`.
final class InspectAlgorithmsTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try Fixtures.temporaryDirectory("inspect-algorithms")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// The fixture's section `key` (an array of objects), or its element `index` alone, as JSON data.
    func fixtureCases(_ key: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: Fixtures.url("losses/reference-7.json"))
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try XCTUnwrap(root[key] as? [[String: Any]])
    }

    func write(_ value: Any, _ name: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try JSONSerialization.data(withJSONObject: value).write(to: url)
        return url.path
    }

    func parse(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    func numbers(_ value: Any?) -> [Double] {
        ((value as? [[Any]]) ?? []).flatMap { $0.map { ($0 as? NSNumber)?.doubleValue ?? .nan } }
    }

    func testPolicyLossArrayMatchesEveryFixtureCase() throws {
        let cases = try fixtureCases("policy_losses")
        let command = try InspectPolicyLoss.parse(["--input", try write(cases, "losses.json")])
        let replies = try XCTUnwrap(try parse(try command.output()) as? [[String: Any]])
        XCTAssertEqual(replies.count, cases.count)
        for (reply, item) in zip(replies, cases) {
            let loss = try XCTUnwrap((reply["loss"] as? NSNumber)?.doubleValue)
            let expected = try XCTUnwrap((item["expected_loss"] as? NSNumber)?.doubleValue)
            XCTAssertLessThanOrEqual(FiniteDifference.maxError([loss], [expected]), 1e-5)
            let grad = numbers(reply["grad_log_probs"]), expectedGrad = numbers(item["expected_grad_log_probs"])
            XCTAssertEqual(grad.count, 42)
            XCTAssertLessThanOrEqual(FiniteDifference.maxError(grad, expectedGrad), 1e-5)
        }
    }

    func testAdvantagesSingleObjectGivesSingleObject() throws {
        for item in try fixtureCases("advantages") {
            let command = try InspectAdvantages.parse(["--input", try write(item, "one.json")])
            let reply = try XCTUnwrap(try parse(try command.output()) as? [String: Any])
            let values = numbers(reply["advantages"])
            XCTAssertEqual(values.count, 40)
            XCTAssertLessThanOrEqual(FiniteDifference.maxError(values, numbers(item["expected"])), 1e-5,
                                     "\(item["estimator"] ?? "")")
        }
    }

    func testBadInputNamesTheField() throws {
        var cases = try fixtureCases("policy_losses")
        var ragged = cases[1]
        var mask = try XCTUnwrap(ragged["mask"] as? [[Double]])
        mask[2].removeLast()
        ragged["mask"] = mask
        cases[1] = ragged
        let raggedPath = try write(Array(cases[0...1]), "ragged.json")
        XCTAssertThrowsError(try InspectPolicyLoss.parse(["--input", raggedPath]).output()) { error in
            XCTAssertEqual((error as? InputError)?.field, "[1].mask")
        }

        var unknown = cases[0]
        unknown["loss"] = "vanilla"
        XCTAssertThrowsError(try InspectPolicyLoss.parse(["--input", try write(unknown, "unknown.json")]).output()) { error in
            XCTAssertEqual((error as? InputError)?.field, "loss")
            XCTAssertTrue("\(error)".contains("ppo-clip"))
        }

        var shape = cases[0]
        shape["log_probs"] = [[0.0]]
        XCTAssertThrowsError(try InspectPolicyLoss.parse(["--input", try write(shape, "shape.json")]).output()) { error in
            XCTAssertEqual((error as? InputError)?.field, "log_probs")
        }

        var advantage = try fixtureCases("advantages")[0]
        advantage.removeValue(forKey: "group_ids")
        XCTAssertThrowsError(try InspectAdvantages.parse(["--input", try write(advantage, "missing.json")]).output()) { error in
            XCTAssertTrue("\(error)".contains("group_ids"), "\(error)")
        }
        advantage["group_ids"] = [0, 1]
        XCTAssertThrowsError(try InspectAdvantages.parse(["--input", try write(advantage, "count.json")]).output()) { error in
            XCTAssertEqual((error as? InputError)?.field, "group_ids")
        }
    }
}
