import AEPOCore
import AEPOKernels
import Foundation

/// A Hugging Face model directory: `config.json` plus `model.safetensors` (or shards listed in
/// `model.safetensors.index.json`; without safetensors, PyTorch's `pytorch_model.bin` or the shards of
/// `pytorch_model.bin.index.json`, `TorchCheckpoint`), with every parameter in one float buffer in `ParameterLayout` order.
///
/// Loading is strict: each tensor the layout names must be present with exactly the shape the config
/// implies, and no other tensor may be present — with one exception: a tied checkpoint
/// (`tie_word_embeddings: true`) may also carry `lm_head.weight`, which is then accepted only if it is
/// bit-for-bit equal to `model.embed_tokens.weight` (a different head would silently change the model).
public struct Checkpoint {
    public var config: Qwen3Config
    /// All parameters, laid out by `ParameterLayout(config: config)`.
    public var parameters: [Float]

    public init(config: Qwen3Config, parameters: [Float]) {
        precondition(parameters.count == ParameterLayout(config: config).totalCount, "parameter count does not match the config")
        self.config = config
        self.parameters = parameters
    }

    public static let configFileName = "config.json"
    public static let generationConfigFileName = "generation_config.json"
    /// The stem of the weights' file names (`TensorFileSet`).
    static let weightsStem = "model"
    public static let weightsFileName = TensorFileSet.singleFileName(stem: weightsStem)
    public static let indexFileName = TensorFileSet.indexFileName(stem: weightsStem)
    /// The weights `torch.save` wrote (transformers before safetensors), read when no safetensors are present.
    public static let pytorchWeightsFileName = "pytorch_model.bin"
    public static let pytorchIndexFileName = "pytorch_model.bin.index.json"
    public static let tokenizerFileName = "tokenizer.json"
    /// The files beside a `tokenizer.json` that a checkpoint carries with it: its special tokens and chat template.
    public static let tokenizerCompanionFileNames = ["tokenizer_config.json", "chat_template.jinja"]

    /// Reads `directory`: `model.safetensors` if present, else the shards named by `model.safetensors.index.json`, else
    /// the same in PyTorch's format (`CheckpointFiles`).
    /// A NaN or infinite weight is an error naming its tensor unless `allowingNonFiniteWeights`; weights that would
    /// not fit in `memoryLimit` as float32 are refused before they are read.
    public static func load(directory: URL, allowingNonFiniteWeights: Bool = false,
                            memoryLimit: MemoryLimit = .current) throws -> Checkpoint {
        let files = try CheckpointFiles(directory: directory)
        try MemoryEstimate(config: files.config).check(against: memoryLimit, subject: "reading these weights as float32",
                                                       source: directory.path, advice: "read them on a machine with more memory")
        var parameters = [Float](repeating: 0, count: files.layout.totalCount)
        try parameters.withUnsafeMutableBufferPointer { buffer in
            try files.read(into: buffer, allowingNonFiniteWeights: allowingNonFiniteWeights)
            try files.checkTiedHead { buffer[$0] }
        }
        return Checkpoint(config: files.config, parameters: parameters)
    }

    /// Reads `directory` (as `load` does) into a model that will not be trained, held as `ParameterStorage` says: a
    /// checkpoint whose every tensor is BF16 is read straight into bfloat16 (never as float32, so it takes half the
    /// memory throughout); any other is read as float32 and kept in bfloat16 when bfloat16 holds every value.
    public static func loadFrozenModel(directory: URL, allowingNonFiniteWeights: Bool = false,
                                       memoryLimit: MemoryLimit = .current) throws -> Qwen3Model {
        let files = try CheckpointFiles(directory: directory)
        guard files.holdsBFloat16Only else {
            let checkpoint = try load(directory: directory, allowingNonFiniteWeights: allowingNonFiniteWeights, memoryLimit: memoryLimit)
            return try Qwen3Model(config: checkpoint.config, frozenParameters: checkpoint.parameters)
        }
        try MemoryEstimate(config: files.config, storage: .bfloat16)
            .check(against: memoryLimit, subject: "reading these weights as bfloat16", source: directory.path,
                   advice: "read them on a machine with more memory")
        return try Qwen3Model(config: files.config, bfloat16: { buffer in
            try files.read(into: buffer, allowingNonFiniteWeights: allowingNonFiniteWeights)
            try files.checkTiedHead { buffer[$0].float }
        })
    }

    /// Whether every tensor of `directory`'s checkpoint is stored as BF16 (read from the headers alone): then
    /// `loadFrozenModel` holds it in bfloat16 without ever reading it as float32.
    public static func holdsBFloat16Only(_ directory: URL) throws -> Bool {
        try CheckpointFiles(directory: directory).holdsBFloat16Only
    }

    /// Writes `config.json`, `generation_config.json` and the F32 weights (`writeWeights`) (and copies `tokenizer` to
    /// `tokenizer.json` when given, with the `tokenizerCompanionFileNames` beside it) as one atomic directory replacement.
    public func save(to directory: URL, tokenizer: URL? = nil, maxShardBytes: Int = ShardSize.standard.bytes) throws {
        try parameters.withUnsafeBufferPointer {
            try Checkpoint.save(config: config, weights: $0, to: directory, tokenizer: tokenizer, maxShardBytes: maxShardBytes)
        }
    }

    /// `save(to:tokenizer:maxShardBytes:)` for parameters held in `weights` (laid out by `ParameterLayout(config:)`),
    /// written from there without a copy: a model's own buffer.
    public static func save(config: Qwen3Config, weights: UnsafeBufferPointer<Float>, to directory: URL, tokenizer: URL? = nil,
                            maxShardBytes: Int = ShardSize.standard.bytes) throws {
        precondition(weights.count == ParameterLayout(config: config).totalCount, "parameter count does not match the config")
        try AtomicFile.writeDirectory(at: directory) { temporary in
            try config.jsonData().write(to: temporary.appendingPathComponent(Checkpoint.configFileName))
            try config.generationConfigJSONData().write(to: temporary.appendingPathComponent(Checkpoint.generationConfigFileName))
            try writeWeights(weights, of: config, into: temporary, maxShardBytes: maxShardBytes)
            if let tokenizer {
                let companions = tokenizerCompanionFileNames.map { tokenizer.deletingLastPathComponent().appendingPathComponent($0) }
                    .filter { FileManager.default.fileExists(atPath: $0.path) }
                for (source, name) in [(tokenizer, tokenizerFileName)] + companions.map({ ($0, $0.lastPathComponent) }) {
                    do {
                        try FileManager.default.copyItem(at: source, to: temporary.appendingPathComponent(name))
                    } catch {
                        throw InputError("cannot copy the tokenizer", source: source.path)
                    }
                }
            }
        }
    }

    /// Writes the F32 weights (`writeWeights`) beside copies of every other file of the Hugging Face directory `base` (its
    /// `config.json`, `generation_config.json`, tokenizer files, chat template, …; not its weights), as one atomic
    /// directory replacement: a model derived from `base` (an adapter merged in) as a directory of its own.
    public func save(to directory: URL, besideFilesOf base: URL, maxShardBytes: Int = ShardSize.standard.bytes) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []
        let weightFiles = [".safetensors", ".bin", ".pt", ".pth"] + WeightFileFormat.allCases.map(\.indexFileName)
        try AtomicFile.writeDirectory(at: directory) { temporary in
            for name in names.sorted() where !name.hasPrefix(".") && !weightFiles.contains(where: name.hasSuffix) {
                let source = base.appendingPathComponent(name)
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: source.path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
                do {
                    try FileManager.default.copyItem(at: source, to: temporary.appendingPathComponent(name))
                } catch {
                    throw InputError("cannot copy the file", source: source.path)
                }
            }
            for (name, data) in [(Checkpoint.configFileName, config.jsonData()),
                                 (Checkpoint.generationConfigFileName, config.generationConfigJSONData())]
            where !names.contains(name) {
                try data.write(to: temporary.appendingPathComponent(name))
            }
            try parameters.withUnsafeBufferPointer {
                try Checkpoint.writeWeights($0, of: config, into: temporary, maxShardBytes: maxShardBytes)
            }
        }
    }

    /// Writes `weights` (the parameters of `config`) as F32 safetensors under their Hugging Face names into `directory`
    /// (a directory being built, renamed into place afterwards), each tensor straight from `weights`: the tensor set
    /// `model` (`TensorFileSet`), one `model.safetensors` or, above `maxShardBytes`, shards with
    /// `model.safetensors.index.json`.
    private static func writeWeights(_ weights: UnsafeBufferPointer<Float>, of config: Qwen3Config, into directory: URL,
                                     maxShardBytes: Int) throws {
        let tensors = ParameterLayout(config: config).entries.map {
            Safetensors.Tensor(name: $0.name, shape: $0.shape, memory: UnsafeBufferPointer(rebasing: weights[$0.offset..<$0.offset + $0.count]))
        }
        try TensorFileSet.write(tensors, metadata: ["format": "pt"], stem: weightsStem, into: directory, maxShardBytes: maxShardBytes)
    }

    /// Convenience for `Checkpoint(config:parameters:).save(to:tokenizer:maxShardBytes:)`.
    public static func save(config: Qwen3Config, parameters: [Float], to directory: URL, tokenizer: URL? = nil,
                            maxShardBytes: Int = ShardSize.standard.bytes) throws {
        try Checkpoint(config: config, parameters: parameters).save(to: directory, tokenizer: tokenizer, maxShardBytes: maxShardBytes)
    }

    /// Whether `directory` holds weights that `load` reads: `model.safetensors`, `pytorch_model.bin`, or the index of
    /// either's shards (as transformers recognises a model directory).
    public static func holdsWeights(_ directory: URL) -> Bool {
        WeightFileFormat.modelWeightFileNames.contains { FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path) }
    }
}
