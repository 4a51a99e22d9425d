import AEPOCore
import AEPOModel
import Foundation

/// The checkpoints of a run, `<run>/checkpoints/step-NNNNNN/`, each written atomically as one directory:
/// `model/` (a Hugging Face directory with `tokenizer.json`), `optimizer.safetensors` (`AdamW`) and
/// `trainer_state.json` (`TrainerState`). Only the newest `keepLast` are kept; an old one is renamed to a temporary
/// before it is deleted, so a kill never leaves a half-deleted checkpoint under a checkpoint's name.
public struct CheckpointStore {
    public static let modelDirectory = "model"
    public static let optimizerFile = "optimizer.safetensors"
    public static let stateFile = "trainer_state.json"

    public let directory: URL
    public let keepLast: Int

    public init(run: URL, keepLast: Int) {
        directory = run.appendingPathComponent("checkpoints")
        self.keepLast = keepLast
    }

    /// Checkpoint directories, oldest first.
    public func checkpoints() -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix("step-") }.sorted().map { directory.appendingPathComponent($0) }
    }

    public var latest: URL? { checkpoints().last }

    /// Writes one checkpoint, then removes all but the newest `keepLast`.
    public func save(model: Qwen3Model, optimizer: AdamW, state: TrainerState, tokenizer: URL?) throws {
        let url = directory.appendingPathComponent(String(format: "step-%06d", state.step))
        try AtomicFile.writeDirectory(at: url) { temporary in
            try Checkpoint.save(config: model.config, parameters: model.parameterValues,
                                to: temporary.appendingPathComponent(Self.modelDirectory), tokenizer: tokenizer)
            try optimizer.save(to: temporary.appendingPathComponent(Self.optimizerFile))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            try AtomicFile.write(try encoder.encode(state), to: temporary.appendingPathComponent(Self.stateFile))
        }
        for old in checkpoints().dropLast(keepLast) { try? AtomicFile.remove(old) }
    }

    /// Loads the newest checkpoint that reads back whole; each newer one that does not is reported to `warn` and
    /// skipped (a checkpoint corrupted after it was written). Throws when there is none, with the newest one's error.
    public func loadNewest(warn: (String) -> Void) throws -> (url: URL, checkpoint: Checkpoint, optimizer: AdamW, state: TrainerState) {
        var newestError: Error?
        for url in checkpoints().reversed() {
            do {
                let loaded = try Self.load(url)
                return (url, loaded.checkpoint, loaded.optimizer, loaded.state)
            } catch {
                warn("warning: checkpoint \(url.lastPathComponent) cannot be read, skipped: \(error)")
                newestError = newestError ?? error
            }
        }
        throw newestError ?? InputError("no checkpoint to resume from", source: directory.path)
    }

    /// Reads a checkpoint written by `save`.
    public static func load(_ url: URL) throws -> (checkpoint: Checkpoint, optimizer: AdamW, state: TrainerState) {
        let checkpoint = try Checkpoint.load(directory: url.appendingPathComponent(modelDirectory))
        let count = checkpoint.parameters.count
        let optimizer = try AdamW(contentsOf: url.appendingPathComponent(optimizerFile), parameterCount: count)
        let stateURL = url.appendingPathComponent(stateFile)
        guard let data = try? Data(contentsOf: stateURL) else { throw InputError("cannot read file", source: stateURL.path) }
        do {
            return (checkpoint, optimizer, try JSONDecoder().decode(TrainerState.self, from: data))
        } catch let error as DecodingError {
            throw InputError(JSONLines.describe(error), source: stateURL.path)
        }
    }
}
