import AEPOAlgorithms
import AEPOCore
import Foundation

extension TrainingConfig {
    /// The keys a resumed run may change: how long it runs, how often it logs and checkpoints, how many checkpoints
    /// it keeps and how large their files are, the micro-batch split, activation checkpointing and the engine's pass
    /// size (memory settings: the update does not depend on them), where its directory is, and which servers it samples
    /// from and how it talks to them.
    /// Every other key is part of the run (`runIdentity`).
    public static let resumableKeys: Set<String> = [
        "sft.steps", "trainer.steps", "trainer.save_freq", "trainer.keep_last", "trainer.max_shard_size", "trainer.log_freq",
        "trainer.micro_batch_size", "trainer.activation_checkpointing", "trainer.run_dir",
        "rollout.endpoints", "rollout.api_key_env", "rollout.timeout", "rollout.retries", "rollout.concurrency",
        "rollout.max_num_batched_tokens",
    ]

    /// The run's identity, recorded in every checkpoint: 16 hex digits of FNV-1a over the preset's name and every key
    /// outside `resumableKeys` whose value differs from the preset's default (so a key added in a later version, at its
    /// default, keeps the identity of earlier runs).
    public var runIdentity: String {
        let defaults = TrainingConfig(algorithm: AlgorithmPreset(rawValue: algorithm.name)?.config ?? algorithm).valuesByKey
        let keys = resolved.filter { $0.key == Self.presetKey || (!Self.resumableKeys.contains($0.key) && defaults[$0.key] != $0.value) }
        return String(format: "%016llx", FNV1a.hash(keys.map { "\($0.key)=\($0.value)\n" }.sorted().joined()))
    }

    /// The configuration of the run in `run` (its `config.json`) with a resume command line's keys applied: `algorithm`
    /// (when given), `file`'s keys, then `overrides`; `trainer.run_dir` is `run`. The trainer refuses a key that
    /// changes the run (`checkResumable`).
    public static func resuming(run: URL, algorithm: String?, file: URL?, overrides: [String]) throws -> TrainingConfig {
        let entries = try file.map(ConfigFile.read) ?? []
        let named = algorithm ?? entries.first { $0.key == presetKey }?.value
        var config = try resolve(algorithm: named, file: run.appendingPathComponent(Trainer.configFile), overrides: [])
        if let file { try config.apply(entries.filter { $0.key != presetKey }, source: file.path) }
        try config.apply(overrides: overrides + ["trainer.run_dir=\(run.path)"])
        return config
    }

    /// Refuses a configuration that differs from `saved` (the run's own, read from `source`) in a key outside
    /// `resumableKeys`, naming the first such key.
    public func checkResumable(from saved: TrainingConfig, source: String) throws {
        let before = saved.valuesByKey
        for (key, value) in resolved where !Self.resumableKeys.contains(key) && before[key] != value {
            throw InputError("a resumed run keeps its configuration: '\(before[key] ?? "")' in the run, '\(value)' here; "
                             + "keys that may change on resume: \(Self.resumableKeys.sorted().joined(separator: ", "))",
                             source: source, field: key)
        }
    }

    private var valuesByKey: [String: String] {
        Dictionary(uniqueKeysWithValues: resolved.map { ($0.key, $0.value) })
    }
}
