import AEPOCore
import AEPOModel
import Foundation

/// The checkpoints of a run, `<run>/checkpoints/step-NNNNNN/`, each written atomically as one directory:
/// `model/` (a Hugging Face directory with `tokenizer.json`) — or, when a LoRA adapter trains on a frozen base,
/// `adapter/` (PEFT's directory, `PEFTAdapterFormat`) —, the optimizer's state (`AdamW`, over the trained parameters:
/// `optimizer.safetensors`, or above `maxShardBytes` shards listed in `optimizer.safetensors.index.json`, as the model's
/// weights) and `trainer_state.json` (`TrainerState`). Only the newest `keepLast` are kept; an old one is renamed to a
/// temporary before it is deleted, so a kill never leaves a half-deleted checkpoint under a checkpoint's name.
public struct CheckpointStore {
    public static let modelDirectory = "model"
    public static let adapterDirectory = "adapter"
    /// The stem of the optimizer state's file names (`TensorFileSet`).
    public static let optimizerStem = "optimizer"
    public static let optimizerFile = TensorFileSet.singleFileName(stem: optimizerStem)
    public static let optimizerIndexFile = TensorFileSet.indexFileName(stem: optimizerStem)
    public static let stateFile = "trainer_state.json"

    public let directory: URL
    public let keepLast: Int
    /// The largest file of the model's weights or the optimizer's state; more is written as shards.
    public let maxShardBytes: Int

    public init(run: URL, keepLast: Int, maxShardBytes: Int = ShardSize.standard.bytes) {
        directory = run.appendingPathComponent("checkpoints")
        self.keepLast = keepLast
        self.maxShardBytes = maxShardBytes
    }

    /// Checkpoint directories, oldest first.
    public func checkpoints() -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix("step-") }.sorted().map { directory.appendingPathComponent($0) }
    }

    public var latest: URL? { checkpoints().last }

    /// What a checkpoint holds of the model: all of it, or the adapter of a frozen base.
    public enum Weights {
        case model(Checkpoint)
        case adapter(LoRAAdapter)

        /// The trained tensors (of the optimizer's state), laid end to end.
        var trainedEntries: [ParameterLayout.Entry] {
            switch self {
            case .model(let checkpoint): return ParameterLayout(config: checkpoint.config).entries
            case .adapter(let adapter): return adapter.entries
            }
        }
    }

    /// Writes one checkpoint, then removes all but the newest `keepLast`. A model with an adapter is saved as the
    /// adapter alone (`baseModel` names its base in `adapter_config.json`).
    public func save(model: Qwen3Model, optimizer: AdamW, state: TrainerState, tokenizer: URL?, baseModel: String = "") throws {
        let url = directory.appendingPathComponent(String(format: "step-%06d", state.step))
        try AtomicFile.writeDirectory(at: url) { temporary in
            if let adapter = model.adapter {
                try PEFTAdapterFormat.save(adapter, to: temporary.appendingPathComponent(Self.adapterDirectory), baseModel: baseModel)
            } else {
                try model.withParameterValues {
                    try Checkpoint.save(config: model.config, weights: $0, to: temporary.appendingPathComponent(Self.modelDirectory),
                                        tokenizer: tokenizer, maxShardBytes: maxShardBytes)
                }
            }
            try optimizer.save(into: temporary, stem: Self.optimizerStem, entries: model.trainableEntries, maxShardBytes: maxShardBytes)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            try AtomicFile.write(try encoder.encode(state), to: temporary.appendingPathComponent(Self.stateFile))
        }
        for old in checkpoints().dropLast(keepLast) { try? AtomicFile.remove(old) }
    }

    /// Loads the newest checkpoint that reads back whole (an adapter for a base of `adapterBase`'s shape, see `load`);
    /// each newer one that does not is reported to `warn` and skipped (a checkpoint corrupted after it was written).
    /// Throws when there is none, with the newest one's error.
    public func loadNewest(adapterBase: Qwen3Config? = nil,
                           warn: (String) -> Void) throws -> (url: URL, weights: Weights, optimizer: AdamW, state: TrainerState) {
        var newestError: Error?
        for url in checkpoints().reversed() {
            do {
                let loaded = try Self.load(url, adapterBase: adapterBase)
                return (url, loaded.weights, loaded.optimizer, loaded.state)
            } catch {
                warn("warning: checkpoint \(url.lastPathComponent) cannot be read, skipped: \(error)")
                newestError = newestError ?? error
            }
        }
        throw newestError ?? InputError("no checkpoint to resume from", source: directory.path)
    }

    /// Reads a checkpoint written by `save`: a whole model, or, for a run that trains an adapter on a base of
    /// `adapterBase`'s shape, the adapter.
    public static func load(_ url: URL, adapterBase: Qwen3Config? = nil) throws -> (weights: Weights, optimizer: AdamW, state: TrainerState) {
        let adapterURL = url.appendingPathComponent(adapterDirectory)
        let holdsAdapter = FileManager.default.fileExists(atPath: adapterURL.path)
        let weights: Weights
        switch (holdsAdapter, adapterBase) {
        case (true, let base?):
            weights = .adapter(try PEFTAdapterFormat.load(directory: adapterURL, model: base))
        case (false, nil):
            weights = .model(try Checkpoint.load(directory: url.appendingPathComponent(modelDirectory)))
        case (true, nil):
            throw InputError("the checkpoint holds a LoRA adapter, but this run trains every weight (model.lora.rank 0)", source: url.path)
        case (false, _?):
            throw InputError("the checkpoint holds a whole model, but this run trains a LoRA adapter (model.lora.rank > 0)", source: url.path)
        }
        let optimizer = try AdamW(contentsOf: url, stem: optimizerStem, entries: weights.trainedEntries)
        let stateURL = url.appendingPathComponent(stateFile)
        guard let data = try? Data(contentsOf: stateURL) else { throw InputError("cannot read file", source: stateURL.path) }
        do {
            return (weights, optimizer, try JSONDecoder().decode(TrainerState.self, from: data))
        } catch let error as DecodingError {
            throw InputError(JSONLines.describe(error), source: stateURL.path)
        }
    }
}
