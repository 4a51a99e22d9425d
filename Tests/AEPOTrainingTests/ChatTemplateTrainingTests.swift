import AEPOAgent
import AEPOCore
import AEPOModel
import AEPOTestSupport
import AEPOTokenizer
import AEPOTools
@testable import AEPOTraining
import XCTest

/// A run from a pretrained checkpoint prompts with the checkpoint's chat template (here Mixtral's real one, read from
/// its `tokenizer_config.json`), and its checkpoints and `final/` carry the template for evaluation.
final class ChatTemplateTrainingTests: XCTestCase {
    func testRunsFromACheckpointUseItsChatTemplate() throws {
        let directory = try Fixtures.temporaryDirectory("chat-template-run")
        defer { try? FileManager.default.removeItem(at: directory) }
        let settings = TrainingFixture.settings(run: directory.appendingPathComponent("seeded"))
        let seeded = try Trainer(config: try TrainingConfig.resolve(algorithm: "grpo", file: nil, overrides: settings), phase: .sft)
        let base = directory.appendingPathComponent("base")
        try seeded.model.withParameterValues {
            try Checkpoint.save(config: seeded.model.config, weights: $0, to: base, tokenizer: seeded.tokenizerURL)
        }
        try FileManager.default.copyItem(at: Fixtures.url("chat-templates/mixtral-8x7b-instruct-v0.1/tokenizer_config.json"),
                                         to: base.appendingPathComponent("tokenizer_config.json"))

        let run = directory.appendingPathComponent("sft")
        let config = try TrainingConfig.resolve(algorithm: "grpo", file: nil,
                                                overrides: TrainingFixture.settings(run: run) + ["model.path=\(base.path)", "sft.steps=1"])
        let trainer = try Trainer(config: config, phase: .sft)
        XCTAssertEqual(trainer.chatTemplate.source, base.appendingPathComponent("tokenizer_config.json").path)
        let question = trainer.benchmark.demonstrations[0].question
        let prompt = trainer.tokenizer.encode("<s> [INST] \(AgentPrompt.standardInstructions)\n\n\(question) [/INST]")
        XCTAssertEqual(Array(trainer.examples[0].tokens.prefix(prompt.count)), prompt)
        XCTAssertEqual(trainer.examples[0].mask.prefix(prompt.count).reduce(0, +), 0, "the prompt is not trained")

        try trainer.train(until: 1)
        try trainer.saveFinal()
        let messages = AgentPrompt().messages(question: question)
        for saved in [run.appendingPathComponent(Trainer.finalDirectory), try XCTUnwrap(trainer.store.latest).appendingPathComponent("model")] {
            let template = try XCTUnwrap(try ChatTemplate.load(from: saved), saved.path)
            XCTAssertEqual(template.source, saved.appendingPathComponent("tokenizer_config.json").path)
            XCTAssertEqual(try template.render(messages), try trainer.chatTemplate.render(messages), saved.path)
        }
    }
}
