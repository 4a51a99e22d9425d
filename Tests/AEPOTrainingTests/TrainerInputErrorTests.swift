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
}
