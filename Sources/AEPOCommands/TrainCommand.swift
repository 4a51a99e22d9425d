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
        discussion: "Algorithms: \(AlgorithmPreset.allCases.map(\.rawValue).joined(separator: ", ")). Every key of the preset can be overridden (--set key=value or key=value). Writes config.json, metrics.jsonl, TensorBoard event files, checkpoints/ and final/ under trainer.run_dir, which must be empty unless --resume or --overwrite is given."
    )

    @Option(help: "The preset to start from (default: the config file's algorithm.name, else aepo).")
    var algorithm: String?

    @OptionGroup var options: TrainingOptions

    @Option(help: "Continue the run in this directory from its newest checkpoint, with its config.json (see the README for the keys that may change).")
    var resume: String?

    @Option(help: "Where rollouts are sampled: native (the trainer's engine) or openai (the servers of --endpoint); rollout.backend.")
    var backend: String?

    @Option(help: "With --backend openai: a server of model.path with runtime weight updates (aepo serve --enable-lora --lora-dir DIR, vLLM with --enable-lora); repeat for a fleet; rollout.endpoints.")
    var endpoint: [String] = []

    @Option(help: "With --backend openai: the environment variable holding the servers' API key; rollout.api_key_env.")
    var apiKeyEnv: String?

    /// The keys the options above set.
    var backendKeys: [String] {
        (backend.map { ["rollout.backend=\($0)"] } ?? []) + (endpoint.isEmpty ? [] : ["rollout.endpoints=\(endpoint.joined(separator: ","))"])
            + (apiKeyEnv.map { ["rollout.api_key_env=\($0)"] } ?? [])
    }

    func run() throws {
        let trainer = try options.trainer(phase: .rl, algorithm: algorithm, resuming: resume.map { URL(fileURLWithPath: $0) },
                                          extra: backendKeys)
        try trainer.logToTensorBoard()
        try trainer.train()
        for url in try trainer.saveFinal() { print("wrote \(url.path)") }
    }
}
