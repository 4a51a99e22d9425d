import AEPOModel
import AEPOTestSupport
@testable import AEPOTraining
import XCTest

/// The SFT step's targets and losses: the policy's tokens always, the `<result>` tokens only with
/// `sft.tool_output_weight` > 0, each loss checked against an independent forward pass of the starting model.
final class SFTStepTests: XCTestCase {
    func testBatchTakesToolOutputTokensOnlyWhenAsked() throws {
        let run = try Fixtures.temporaryDirectory("sft-batch")
        defer { try? FileManager.default.removeItem(at: run) }
        let trainer = try Trainer(config: try TrainingConfig.resolve(algorithm: "grpo", file: nil, overrides: TrainingFixture.settings(run: run) + ["model.max_positions=1024"]),
                                  phase: .sft)
        let example = trainer.examples[0]
        XCTAssertTrue(zip(example.mask, example.toolOutput).allSatisfy { $0 == 0 || $1 == 0 }, "a token is the policy's or a tool's")
        XCTAssertGreaterThan(example.toolOutput.filter { $0 == 1 }.count, 0)
        let policyOnly = SFTExample.batch([example])
        XCTAssertEqual(policyOnly.batch.targets.count, example.mask.dropFirst().filter { $0 == 1 }.count)
        XCTAssertFalse(policyOnly.isToolOutput.contains(true))
        let both = SFTExample.batch([example], includeToolOutput: true)
        XCTAssertEqual(both.isToolOutput.filter { $0 }.count, example.toolOutput.dropFirst().filter { $0 == 1 }.count)
        for (target, isResult) in zip(both.batch.targets, both.isToolOutput) {
            XCTAssertEqual(target.token, example.tokens[target.position + 1])
            XCTAssertEqual(isResult, example.toolOutput[target.position + 1] == 1)
        }
    }

    func testStepReportsPolicyAndToolOutputCrossEntropy() throws {
        let run = try Fixtures.temporaryDirectory("sft-step")
        defer { try? FileManager.default.removeItem(at: run) }
        let config = try TrainingConfig.resolve(algorithm: "grpo", file: nil,
                                                overrides: TrainingFixture.settings(run: run) + ["model.max_positions=1024", "sft.tool_output_weight=0.5"])
        let trainer = try Trainer(config: config, phase: .sft)
        var cursor = trainer.state.cursor
        let examples = cursor.next(config.sft.batchSize).map { trainer.examples[$0] }
        let reference = try Qwen3Model(config: trainer.model.config, parameters: trainer.model.parameterValues)
        var policy: [Double] = [], results: [Double] = []
        for example in examples {
            let (batch, isToolOutput) = SFTExample.batch([example], includeToolOutput: true)
            for (lp, isResult) in zip(try reference.forward(batch).logProbs, isToolOutput) {
                if isResult { results.append(-Double(lp)) } else { policy.append(-Double(lp)) }
            }
        }
        let metrics = try trainer.step()
        let mean = { (values: [Double]) in values.reduce(0, +) / Double(values.count) }
        XCTAssertEqual(metrics["loss"]!, mean(policy), accuracy: 1e-5)
        XCTAssertEqual(metrics["tool_output_loss"]!, mean(results), accuracy: 1e-5)
        XCTAssertGreaterThan(metrics["grad_norm"]!, 0)
    }

    func testToolOutputWeightOutsideTheUnitIntervalIsRefused() throws {
        XCTAssertThrowsError(try TrainingConfig.resolve(algorithm: "grpo", file: nil, overrides: ["sft.tool_output_weight=1.5"])) { error in
            XCTAssertTrue("\(error)".contains("sft.tool_output_weight"), "\(error)")
        }
    }
}
