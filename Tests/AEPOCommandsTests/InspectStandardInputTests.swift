@testable import AEPOCommands
import AEPOCore
import AEPOTestSupport
import Foundation
import XCTest

/// `--input -` (and `reward --trajectory -`) read standard input and print what the same file gives.
final class InspectStandardInputTests: XCTestCase {
    /// The output of `command(path)` for a file holding `data` and for `-` with `data` on standard input.
    private func outputs(_ data: Data, _ command: (String) throws -> String) throws -> (file: String, standardInput: String) {
        let directory = try Fixtures.temporaryDirectory("inspect-stdin")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("input")
        try data.write(to: url)
        let fromFile = try command(url.path)
        let fromStandardInput = try withStandardInput(data) { try command("-") }
        return (fromFile, fromStandardInput)
    }

    func testLossesAndAdvantagesReadStandardInput() throws {
        let fixture = try Data(contentsOf: Fixtures.url("losses/reference-7.json"))
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: fixture) as? [String: Any])
        let losses = try JSONSerialization.data(withJSONObject: try XCTUnwrap(root["policy_losses"]))
        let policy = try outputs(losses) { try InspectPolicyLoss.parse(["--input", $0]).output() }
        XCTAssertTrue(policy.file.hasPrefix(#"[{"grad_log_probs":"#), policy.file)
        XCTAssertEqual(policy.standardInput, policy.file)
        let advantages = try JSONSerialization.data(withJSONObject: try XCTUnwrap(root["advantages"]))
        let advantage = try outputs(advantages) { try InspectAdvantages.parse(["--input", $0]).output() }
        XCTAssertTrue(advantage.file.hasPrefix(#"[{"advantages":"#), advantage.file)
        XCTAssertEqual(advantage.standardInput, advantage.file)
    }

    func testLogitsTokenizeAndRewardReadStandardInput() throws {
        let model = Fixtures.url("qwen3-tiny-a").path
        let ids = Data(#"{"input_ids": [[1, 2, 3], [4, 5, 6]]}"#.utf8)
        let logits = try outputs(ids) { try InspectLogits.parse(["--model", model, "--input", $0]).output() }
        XCTAssertTrue(logits.file.contains(#""loss":"#), logits.file)
        XCTAssertEqual(logits.standardInput, logits.file)

        let tokenizer = Fixtures.url("tokenizer-bytelevel-bpe/tokenizer.json").path
        let encoded = try outputs(Data("tabs\tand\nnewlines\r\n".utf8)) { try InspectTokenize.parse(["--tokenizer", tokenizer, "--input", $0]).output() }
        XCTAssertTrue(encoded.file.hasPrefix(#"{"ids":[86,"#), encoded.file)
        XCTAssertEqual(encoded.standardInput, encoded.file)
        let decoded = try outputs(Data("[86, 1712]".utf8)) { try InspectTokenize.parse(["--tokenizer", tokenizer, "--input", $0, "--decode"]).output() }
        XCTAssertEqual(decoded.standardInput, decoded.file)

        let trajectory = Data("<think>x</think><search> Orsk </search>\n<result>\nPage 1\n</result>\n<answer>\\boxed{Vel}</answer>".utf8)
        let reward = try outputs(trajectory) { try InspectReward.parse(["--trajectory", $0, "--answer", "Vel"]).output() }
        XCTAssertTrue(reward.file.contains(#""value":1"#), reward.file)
        XCTAssertEqual(reward.standardInput, reward.file)
    }

    func testErrorsNameStandardInput() throws {
        XCTAssertThrowsError(try withStandardInput(Data("{".utf8)) { try InspectPolicyLoss.parse(["--input", "-"]).output() }) { error in
            XCTAssertEqual((error as? InputError)?.source, "standard input", "\(error)")
        }
        XCTAssertThrowsError(try withStandardInput(Data([0xFF, 0xFE])) {
            try InspectTokenize.parse(["--tokenizer", Fixtures.url("tokenizer-bytelevel-bpe/tokenizer.json").path, "--input", "-"]).output()
        }) { error in
            XCTAssertEqual(error as? InputError, InputError("input is not valid UTF-8", source: "standard input"))
        }
        let twice = try InspectTrainTokenizer.parse(["--input", "-", "-", "--vocab-size", "300", "--out", "tokenizer.json"])
        XCTAssertThrowsError(try twice.trained()) { error in
            XCTAssertEqual((error as? InputError)?.message, "standard input can be read only once", "\(error)")
        }
    }
}
