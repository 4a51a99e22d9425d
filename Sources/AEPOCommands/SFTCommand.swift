import AEPOEvaluation
import AEPOTraining
import ArgumentParser

/// `aepo sft`: the supervised cold start on a benchmark's demonstrations.
struct SFTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sft",
        abstract: "Supervised cold start: cross-entropy on the policy-written tokens of the benchmark's demonstrations.",
        discussion: "Keys: model.*, data.*, sft.*, trainer.* (see the README). Writes config.json, metrics.jsonl, TensorBoard event files, checkpoints/ and final/ under trainer.run_dir."
    )

    @OptionGroup var options: TrainingOptions

    @Flag(help: "Continue the run in trainer.run_dir from its newest checkpoint.")
    var resume = false

    func run() throws {
        let trainer = try Trainer(config: try options.resolve(algorithm: nil), phase: .sft, resume: resume)
        try trainer.logToTensorBoard()
        try trainer.train()
        print("wrote \(try trainer.saveFinal().path)")
    }
}
