import AEPOCore
import AEPOTestSupport
import AEPOTraining
import XCTest

/// A run the trainer cannot start is refused with an error that names the key and what was expected.
final class TrainerInputErrorTests: XCTestCase {
    func testUnknownSuiteIsNamedWithTheBenchmarksSuites() throws {
        let run = try Fixtures.temporaryDirectory("unknown-suite")
        defer { try? FileManager.default.removeItem(at: run) }
        let config = try TrainingConfig.resolve(algorithm: "grpo", file: nil,
                                                overrides: TrainingFixture.settings(run: run) + ["data.suites=bridge,nosuchsuite"])
        for phase in [TrainingPhase.sft, .rl] {
            XCTAssertThrowsError(try Trainer(config: config, phase: phase)) { error in
                XCTAssertEqual(error as? InputError, InputError("unknown suite 'nosuchsuite'; this benchmark's suites are bridge",
                                                                source: TrainingFixture.benchmark.path, field: "data.suites"))
            }
        }
    }

    /// A model larger than the machine is refused with the need, the limit and the keys to lower, before any
    /// allocation; a size beyond config.json's bounds is refused on its key.
    func testAModelTooLargeForMemoryIsRefusedNotAborted() throws {
        let run = try Fixtures.temporaryDirectory("too-large")
        defer { try? FileManager.default.removeItem(at: run) }
        let huge = TrainingFixture.settings(run: run) + ["model.hidden_size=65536", "model.intermediate_size=262144", "model.num_layers=64"]
        for phase in [TrainingPhase.sft, .rl] {
            XCTAssertThrowsError(try Trainer(config: try TrainingConfig.resolve(algorithm: "grpo", file: nil, overrides: huge), phase: phase)) {
                let error = $0 as? InputError
                XCTAssertEqual(error?.source, "config")
                for text in ["this run needs about", "parameters ", "gradients ", "AdamW's moments ", "checkpoint copies ", "more than the",
                             "this process can have", "lower model.hidden_size (65536), model.intermediate_size (262144)"] {
                    XCTAssertTrue(error?.message.contains(text) ?? false, "\(phase): \($0)")
                }
            }
        }
        XCTAssertThrowsError(try TrainingConfig.resolve(algorithm: "grpo", file: nil,
                                                        overrides: TrainingFixture.settings(run: run) + ["model.intermediate_size=1000000000"])) {
            XCTAssertEqual($0 as? InputError, InputError("1000000000 is out of range; expected 1…262144", source: "override",
                                                         field: "model.intermediate_size"))
        }
    }
}
