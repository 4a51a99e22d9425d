import AEPOCore
import AEPORemote
import AEPOTraining
import ArgumentParser
import Foundation

/// The configuration options `aepo sft` and `aepo train` share: a config file, `key=value` overrides and `--overwrite`.
struct TrainingOptions: ParsableArguments {
    @Option(help: "A YAML (or .json) configuration file: dotted keys or nested sections; see the README's key list.")
    var config: String?

    @Option(name: .customLong("set"), help: "Override one key, key=value (repeatable).")
    var set: [String] = []

    @Flag(help: "Start a new run even when trainer.run_dir holds one: that run's outputs are removed first.")
    var overwrite = false

    @Argument(help: "More key=value overrides.")
    var overrides: [String] = []

    /// The resolved configuration: preset, file, then `--set` and positional overrides in order, then `extra`.
    func resolve(algorithm: String?, extra: [String] = []) throws -> TrainingConfig {
        try TrainingConfig.resolve(algorithm: algorithm, file: config.map { URL(fileURLWithPath: $0) }, overrides: set + overrides + extra)
    }

    /// A trainer of `phase`: a new run of the resolved configuration, or the run in `resuming`, whose `config.json`
    /// this command line's keys may change only where a resume allows (`TrainingConfig.resumableKeys`); `extra` keys come
    /// after every other. RL with `rollout.backend=openai` samples from the servers of `rollout.endpoints`. On a terminal it
    /// shows its progress with the time left.
    func trainer(phase: TrainingPhase, algorithm: String?, resuming run: URL?, extra: [String] = []) throws -> Trainer {
        guard let run else {
            let config = try resolve(algorithm: algorithm, extra: extra)
            return try Trainer(config: config, phase: phase, start: overwrite ? .overwrite : .new,
                               servers: phase == .rl ? try ServerFleet.make(config.sampling) : nil, progress: StandardError.progress)
        }
        guard !overwrite else { throw InputError("--overwrite starts a new run; it cannot be combined with --resume", source: "--overwrite") }
        let config = try TrainingConfig.resuming(run: run, algorithm: algorithm, file: config.map { URL(fileURLWithPath: $0) },
                                                 overrides: set + overrides + extra)
        return try Trainer(config: config, phase: phase, start: .resume, servers: phase == .rl ? try ServerFleet.make(config.sampling) : nil,
                           progress: StandardError.progress)
    }
}
