import AEPOEvaluation
import AEPOAlgorithms
import AEPOTraining
import ArgumentParser
import Foundation

/// `aepo train --algorithm NAME`: RL from a checkpoint (usually an SFT cold start).
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Reinforcement learning with one of the eight algorithms: rollout, reward, advantages, clipped policy updates.",
        discussion: "Algorithms: \(AlgorithmPreset.allCases.map(\.rawValue).joined(separator: ", ")). Every key of the preset can be overridden (--set key=value or key=value). Writes config.json, metrics.jsonl, TensorBoard event files, checkpoints/ and final/ under trainer.run_dir."
    )

    @Option(help: "The preset to start from (default: the config file's algorithm.name, else aepo).")
    var algorithm: String?

    @OptionGroup var options: TrainingOptions

    @Option(help: "Continue the run in this directory from its newest checkpoint (its config.json, then any overrides).")
    var resume: String?

    func run() throws {
        let trainer = try makeTrainer()
        try trainer.logToTensorBoard()
        try trainer.train()
        print("wrote \(try trainer.saveFinal().path)")
    }

    func makeTrainer() throws -> Trainer {
        guard let resume else { return try Trainer(config: try options.resolve(algorithm: algorithm), phase: .rl) }
        let file = URL(fileURLWithPath: resume).appendingPathComponent(Trainer.configFile)
        let config = try TrainingConfig.resolve(algorithm: algorithm, file: file,
                                                overrides: options.set + options.overrides + ["trainer.run_dir=\(resume)"])
        return try Trainer(config: config, phase: .rl, resume: true)
    }
}
