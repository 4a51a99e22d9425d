import AEPOTraining
import ArgumentParser
import Foundation

/// The configuration options `aepo sft` and `aepo train` share: a config file and `key=value` overrides.
struct TrainingOptions: ParsableArguments {
    @Option(help: "A YAML (or .json) configuration file: dotted keys or nested sections; see the README's key list.")
    var config: String?

    @Option(name: .customLong("set"), help: "Override one key, key=value (repeatable).")
    var set: [String] = []

    @Argument(help: "More key=value overrides.")
    var overrides: [String] = []

    /// The resolved configuration: preset, file, then `--set` and positional overrides in order.
    func resolve(algorithm: String?) throws -> TrainingConfig {
        try TrainingConfig.resolve(algorithm: algorithm, file: config.map { URL(fileURLWithPath: $0) }, overrides: set + overrides)
    }
}
