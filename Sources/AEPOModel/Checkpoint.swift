import AEPOCore
import Foundation

/// A Hugging Face model directory: `config.json` plus `model.safetensors` (or shards listed in
/// `model.safetensors.index.json`), with every parameter in one float buffer in `ParameterLayout` order.
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
    public static let weightsFileName = "model.safetensors"
    public static let indexFileName = "model.safetensors.index.json"
    public static let tokenizerFileName = "tokenizer.json"

    /// Reads `directory`: `model.safetensors` if present, else the shards named by `model.safetensors.index.json`.
    /// A NaN or infinite weight is an error naming its tensor unless `allowingNonFiniteWeights`; weights that would
    /// not fit in `memoryLimit` as float32 are refused before they are read.
    public static func load(directory: URL, allowingNonFiniteWeights: Bool = false,
                            memoryLimit: MemoryLimit = .current) throws -> Checkpoint {
        let config = try Qwen3Config.load(from: directory.appendingPathComponent(configFileName))
        let layout = ParameterLayout(config: config)
        let single = directory.appendingPathComponent(weightsFileName)
        let files: [Safetensors]
        if FileManager.default.fileExists(atPath: single.path) {
            files = [try Safetensors(contentsOf: single)]
        } else {
            files = try shards(in: directory)
        }

        var owner: [String: Safetensors] = [:]
        for file in files {
            for name in file.tensors.keys {
                if let other = owner[name] {
                    throw InputError("tensor '\(name)' also appears in \(other.url.path)", source: file.url.path)
                }
                owner[name] = file
            }
        }

        // Every tensor present with its shape before allocating, so a config that claims a huge model
        // over a small file is refused instead of exhausting memory.
        var sources: [Safetensors] = []
        for entry in layout.entries {
            guard let file = owner.removeValue(forKey: entry.name) else {
                throw InputError("missing tensor '\(entry.name)' (shape \(entry.shape))", source: files.map(\.url.path).joined(separator: ", "))
            }
            let shape = file.tensors[entry.name]!.shape
            guard shape == entry.shape else {
                throw InputError("tensor '\(entry.name)' has shape \(shape), but config.json implies \(entry.shape)", source: file.url.path)
            }
            sources.append(file)
        }
        try MemoryEstimate(config: config).check(against: memoryLimit, subject: "reading these weights as float32",
                                                 source: directory.path, advice: "read them on a machine with more memory")
        var parameters = [Float](repeating: 0, count: layout.totalCount)
        try parameters.withUnsafeMutableBufferPointer { buffer in
            for (entry, file) in zip(layout.entries, sources) {
                let tensor = UnsafeMutableBufferPointer(rebasing: buffer[entry.offset..<entry.offset + entry.count])
                try file.read(entry.name, into: tensor)
                if !allowingNonFiniteWeights, let index = tensor.firstIndex(where: { !$0.isFinite }) {
                    throw InputError("tensor '\(entry.name)' holds \(tensor[index]) at element \(index); weights must be finite",
                                     source: file.url.path)
                }
            }
        }
        if config.tieWordEmbeddings, let file = owner.removeValue(forKey: "lm_head.weight") {
            let embedding = layout["model.embed_tokens.weight"]!
            let head = try file.floats("lm_head.weight")
            let same = file.tensors["lm_head.weight"]!.shape == embedding.shape
                && zip(head, parameters[embedding.offset..<embedding.offset + embedding.count]).allSatisfy { $0.bitPattern == $1.bitPattern }
            guard same else {
                throw InputError(
                    "tie_word_embeddings is true but 'lm_head.weight' differs from 'model.embed_tokens.weight'",
                    source: file.url.path)
            }
        }
        if let (name, file) = owner.min(by: { $0.key < $1.key }) {
            let more = owner.count > 1 ? " (and \(owner.count - 1) more)" : ""
            throw InputError("unexpected tensor '\(name)'\(more) not used by a Qwen3 model with this config", source: file.url.path)
        }
        return Checkpoint(config: config, parameters: parameters)
    }

    /// Opens the shards listed in `model.safetensors.index.json`, checking each tensor is in the file the index says.
    private static func shards(in directory: URL) throws -> [Safetensors] {
        let indexURL = directory.appendingPathComponent(indexFileName)
        guard FileManager.default.fileExists(atPath: indexURL.path) else {
            throw InputError("no \(weightsFileName) or \(indexFileName) in the directory", source: directory.path)
        }
        let data: Data
        do { data = try Data(contentsOf: indexURL) } catch { throw InputError("cannot read file", source: indexURL.path) }
        let index: JSONValue
        do { index = try JSONValue.parse(data) } catch let error as JSONValue.SyntaxError {
            throw InputError(error.description, source: indexURL.path)
        }
        guard let weightMap = index.objectValue?["weight_map"]?.objectValue else {
            throw InputError("expected an object 'weight_map' of tensor name → file name", source: indexURL.path, field: "weight_map")
        }
        var fileOf: [String: String] = [:]
        for (name, value) in weightMap {
            guard let file = value.stringValue, !file.isEmpty, !file.contains("/"), file != "..", file != "." else {
                throw InputError("tensor '\(name)' maps to \(value.serialized()), expected a file name in this directory", source: indexURL.path, field: "weight_map")
            }
            fileOf[name] = file
        }
        let fileNames = Set(fileOf.values).sorted()
        let shards = try fileNames.map { try Safetensors(contentsOf: directory.appendingPathComponent($0)) }
        for (fileName, shard) in zip(fileNames, shards) {
            for name in shard.tensors.keys where fileOf[name] != fileName {
                throw InputError("tensor '\(name)' is in this shard but \(indexFileName) maps it to \(fileOf[name].map { "'\($0)'" } ?? "nothing")", source: shard.url.path)
            }
            for (name, file) in fileOf where file == fileName && shard.tensors[name] == nil {
                throw InputError("tensor '\(name)' is listed for this shard in \(indexFileName) but missing", source: shard.url.path)
            }
        }
        return shards
    }

    /// transformers' default `max_shard_size` ("5GB"): weights above it are written as shards.
    public static let defaultMaxShardBytes = 5_000_000_000

    /// Writes `config.json`, `generation_config.json` and the F32 weights (`writeWeights`) (and copies `tokenizer` to
    /// `tokenizer.json` when given) as one atomic directory replacement.
    public func save(to directory: URL, tokenizer: URL? = nil, maxShardBytes: Int = Checkpoint.defaultMaxShardBytes) throws {
        try AtomicFile.writeDirectory(at: directory) { temporary in
            try config.jsonData().write(to: temporary.appendingPathComponent(Checkpoint.configFileName))
            try config.generationConfigJSONData().write(to: temporary.appendingPathComponent(Checkpoint.generationConfigFileName))
            try writeWeights(into: temporary, maxShardBytes: maxShardBytes)
            if let tokenizer {
                do {
                    try FileManager.default.copyItem(at: tokenizer, to: temporary.appendingPathComponent(Checkpoint.tokenizerFileName))
                } catch {
                    throw InputError("cannot copy the tokenizer", source: tokenizer.path)
                }
            }
        }
    }

    /// Writes the F32 weights (`writeWeights`) beside copies of every other file of the Hugging Face directory `base` (its
    /// `config.json`, `generation_config.json`, tokenizer files, chat template, …; not its weights), as one atomic
    /// directory replacement: a model derived from `base` (an adapter merged in) as a directory of its own.
    public func save(to directory: URL, besideFilesOf base: URL, maxShardBytes: Int = Checkpoint.defaultMaxShardBytes) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []
        let weightFiles = [".safetensors", ".bin", ".pt", ".pth", Checkpoint.indexFileName]
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
            try writeWeights(into: temporary, maxShardBytes: maxShardBytes)
        }
    }

    /// Writes the parameters as F32 safetensors under their Hugging Face names into `directory` (a directory being built,
    /// renamed into place afterwards): one `model.safetensors` when they take at most `maxShardBytes`, else shards as
    /// transformers splits them (`ShardPlan`) with `model.safetensors.index.json`.
    private func writeWeights(into directory: URL, maxShardBytes: Int) throws {
        let entries = ParameterLayout(config: config).entries
        let plan = ShardPlan(byteCounts: entries.map { 4 * $0.count }, maxShardBytes: maxShardBytes)
        for (index, shard) in plan.shards.enumerated() {
            let tensors = shard.map { entries[$0] }.map {
                Safetensors.Tensor(name: $0.name, shape: $0.shape, values: parameters[$0.offset..<$0.offset + $0.count])
            }
            let name = plan.shards.count == 1 ? Checkpoint.weightsFileName : plan.fileName(index)
            try Safetensors.encode(tensors, metadata: ["format": "pt"]).write(to: directory.appendingPathComponent(name))
        }
        guard plan.shards.count > 1 else { return }
        var weightMap: [String: JSONValue] = [:]
        for (index, shard) in plan.shards.enumerated() {
            for tensor in shard { weightMap[entries[tensor].name] = .string(plan.fileName(index)) }
        }
        let index = JSONValue.object(["metadata": .object(["total_size": .integer(plan.totalBytes)]), "weight_map": .object(weightMap)])
        try Data((index.serialized(indent: 2) + "\n").utf8).write(to: directory.appendingPathComponent(Checkpoint.indexFileName))
    }

    /// Convenience for `Checkpoint(config:parameters:).save(to:tokenizer:maxShardBytes:)`.
    public static func save(config: Qwen3Config, parameters: [Float], to directory: URL, tokenizer: URL? = nil,
                            maxShardBytes: Int = Checkpoint.defaultMaxShardBytes) throws {
        try Checkpoint(config: config, parameters: parameters).save(to: directory, tokenizer: tokenizer, maxShardBytes: maxShardBytes)
    }

    /// Whether `directory` holds weights (`model.safetensors`, or the index of shards).
    public static func holdsWeights(_ directory: URL) -> Bool {
        [weightsFileName, indexFileName].contains { FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path) }
    }
}
