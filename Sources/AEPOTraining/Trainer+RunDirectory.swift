import AEPOCore
import AEPOModel
import Foundation

/// A run directory belongs to one run: a new run starts only in an empty directory (or, with `RunStart.overwrite`, one
/// whose run it removes first), a resumed one only from its own checkpoints, and what a killed process left behind
/// is cleared at every start.
extension Trainer {
    /// Clears the temporaries that killed processes left in the run directory and its checkpoints.
    static func removeStaleTemporaries(run: URL, store: CheckpointStore, log: (String) -> Void) {
        let cleared = AtomicFile.removeStaleTemporaries(in: store.directory) + AtomicFile.removeStaleTemporaries(in: run)
        if !cleared.isEmpty { log("cleared what an interrupted run left behind: \(cleared.joined(separator: ", "))") }
    }

    /// Throws unless the run directory is empty or absent.
    static func requireEmpty(run: URL) throws {
        let names = entries(of: run)
        guard names.isEmpty else {
            throw InputError("the run directory is not empty (it holds \(listed(names))): continue its run with --resume, "
                             + "replace it with --overwrite, or choose another directory", source: run.path, field: "trainer.run_dir")
        }
    }

    /// Removes the run that the directory holds, its checkpoints first (a kill midway never leaves a run that could
    /// resume), each entry renamed to a temporary before it is deleted. A directory that holds files but no run (no
    /// `config.json` or `checkpoints/`) is refused.
    static func removeRun(run: URL, store: CheckpointStore) throws {
        let names = entries(of: run), checkpoints = store.directory.lastPathComponent
        guard !names.isEmpty else { return }
        guard names.contains(configFile) || names.contains(checkpoints) else {
            throw InputError("--overwrite replaces a run, but the directory holds none (no \(configFile) or \(checkpoints)/), only "
                             + "\(listed(names)); choose another directory", source: run.path, field: "trainer.run_dir")
        }
        for name in [checkpoints] + names.filter({ $0 != checkpoints }) where names.contains(name) {
            try AtomicFile.remove(run.appendingPathComponent(name))
        }
    }

    /// The newest complete checkpoint of the run, for `config` of `phase`: the configuration must agree with the run's
    /// `config.json` outside `TrainingConfig.resumableKeys`, and the checkpoint must be of this run and phase. A run that
    /// trains an adapter on a base of `adapterBase`'s shape reads the checkpoint's adapter. An unreadable newer
    /// checkpoint is skipped with a warning.
    static func newestCheckpoint(config: TrainingConfig, phase: TrainingPhase, run: URL, store: CheckpointStore, adapterBase: Qwen3Config?,
                                 log: (String) -> Void) throws -> (weights: CheckpointStore.Weights, optimizer: AdamW, state: TrainerState) {
        let savedURL = run.appendingPathComponent(configFile)
        if FileManager.default.fileExists(atPath: savedURL.path) {
            try config.checkResumable(from: try TrainingConfig.resolve(algorithm: nil, file: savedURL, overrides: []), source: savedURL.path)
        }
        let newest = try store.loadNewest(adapterBase: adapterBase, warn: log)
        let identity = config.runIdentity
        switch newest.state.runIdentity {
        case identity?:
            break
        case let other?:
            throw InputError("the checkpoint belongs to another run (run \(other)), not to this configuration's run \(identity): resume "
                             + "that run with its own configuration, or start this one in another directory", source: newest.url.path)
        case nil:
            log("warning: \(newest.url.lastPathComponent) records no run identity (written by an earlier version); resuming it as this run's")
        }
        guard newest.state.phase == phase else {
            throw InputError("the checkpoint is of phase \(newest.state.phase.rawValue), not \(phase.rawValue)", source: newest.url.path)
        }
        return (newest.weights, newest.optimizer, newest.state)
    }

    /// The directory's entries (none when it does not exist).
    private static func entries(of run: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: run.path)) ?? []).sorted()
    }

    /// The first few names, for a message.
    private static func listed(_ names: [String]) -> String {
        names.prefix(4).joined(separator: ", ") + (names.count > 4 ? ", …" : "")
    }
}
