import AEPOCore
import AEPOTestSupport
import AEPOTraining
import XCTest

/// On a terminal a trainer shows every step with the time left on its progress line and `log` gets no progress lines;
/// off a terminal `log` gets the plain lines every `trainer.log_freq` steps and at the last, as before.
final class TrainerProgressTests: XCTestCase {
    func testProgressLineOnATerminalPlainLinesOtherwise() throws {
        let root = try Fixtures.temporaryDirectory("trainer-progress")
        defer { try? FileManager.default.removeItem(at: root) }
        func trainer(_ name: String, log: @escaping (String) -> Void, progress: ProgressLine?) throws -> Trainer {
            let config = try TrainingConfig.resolve(algorithm: "grpo", file: nil, overrides: TrainingFixture.settings(run: root.appendingPathComponent(name))
                + ["sft.steps=3", "trainer.log_freq=2"])
            return try Trainer(config: config, phase: .sft, log: log, progress: progress)
        }

        var shown: [String] = [], logged: [String] = []
        try trainer("terminal", log: { logged.append($0) }, progress: ProgressLine(columns: { 500 }) { shown.append($0) }).train()
        XCTAssertEqual(logged, [])
        XCTAssertEqual(shown.count, 4, "\(shown)")
        for (i, text) in shown.dropLast().enumerated() {
            XCTAssertNotNil(text.range(of: #"^\rsft \#(i + 1)/3  [0-9.]+ s/step  [0-9hms ]+ left  loss [-0-9.e]+  grad_norm"#,
                                       options: .regularExpression), text)
        }
        XCTAssertEqual(shown.last, "\n", "the last step stays on screen")

        try trainer("plain", log: { logged.append($0) }, progress: nil).train()
        XCTAssertEqual(logged.count, 2, "\(logged)")
        XCTAssertTrue(logged[0].hasPrefix("sft 2/3  loss ") && logged[0].hasSuffix(" s)"), logged[0])
        XCTAssertTrue(logged[1].hasPrefix("sft 3/3  loss ") && logged[1].hasSuffix(" s)"), logged[1])
    }
}
