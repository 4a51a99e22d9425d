import AEPOEvaluation
import AEPOTraining
import ArgumentParser
import Foundation

/// `aepo sft`: the supervised cold start on a benchmark's demonstrations.
struct SFTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sft",
        abstract: "Supervised cold start: cross-entropy on the policy-written tokens of the benchmark's demonstrations.",
        discussion: "Keys: model.*, data.*, sft.*, trainer.* (see the README). Writes config.json, metrics.jsonl, TensorBoard event files, checkpoints/ and final/ under trainer.run_dir, which must be empty unless --resume or --overwrite is given."
    )

    @OptionGroup var options: TrainingOptions

    @Flag(help: "Continue the run in trainer.run_dir from its newest checkpoint, with its config.json (see the README for the keys that may change).")
    var resume = false

    func run() throws {
        let run = resume ? URL(fileURLWithPath: try options.resolve(algorithm: nil).trainer.runDir) : nil
        let trainer = try options.trainer(phase: .sft, algorithm: nil, resuming: run)
        try trainer.logToTensorBoard()
        try trainer.train()
        for url in try trainer.saveFinal() { print("wrote \(url.path)") }
    }
}
