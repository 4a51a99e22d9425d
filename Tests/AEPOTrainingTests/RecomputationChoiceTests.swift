import AEPOCore
import AEPOModel
import AEPOTestSupport
@testable import AEPOTraining
import XCTest

/// A run recomputes activations when asked to, or when it fits in memory only that way; otherwise it keeps them.
final class RecomputationChoiceTests: XCTestCase {
    func testRecomputesOnlyWhenAskedOrWhenNothingElseFits() throws {
        let run = try Fixtures.temporaryDirectory("recomputation")
        defer { try? FileManager.default.removeItem(at: run) }
        // Four layers: recomputing keeps four layer inputs and one layer's working set instead of four layers' everything.
        let config = try TrainingConfig.resolve(algorithm: "grpo", file: nil,
                                                overrides: TrainingFixture.settings(run: run) + ["model.num_layers=4"])
        let model = config.modelConfig(vocabularySize: 300)
        func need(_ recomputing: Bool) -> MemoryEstimate {
            Trainer.memoryEstimate(config: config, phase: .rl, model: model, adapter: nil, longestExample: 0, recomputing: recomputing)
        }
        let (kept, recomputed) = (need(false).bytes, need(true).bytes)
        XCTAssertLessThan(recomputed, kept)
        func limit(_ bytes: Double) -> MemoryLimit { MemoryLimit(bytes: Int(bytes), source: "a test limit") }
        func choice(_ config: TrainingConfig, _ bytes: Double) -> Bool {
            Trainer.recomputesActivations(config: config, limit: limit(bytes), need: need)
        }
        XCTAssertFalse(choice(config, kept + 1), "fits with the activations kept")
        XCTAssertTrue(choice(config, (kept + recomputed) / 2), "fits only when recomputing")
        XCTAssertFalse(choice(config, recomputed - 1), "fits neither way: refused by the check, not recomputed")
        var asked = config
        asked.trainer.activationCheckpointing = true
        XCTAssertTrue(choice(asked, kept + 1), "asked for")
    }
}
