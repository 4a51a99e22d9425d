import AEPOCore
import AEPOKernels
import Foundation

/// The weight files of a Hugging Face model directory, opened and checked against its `config.json` before any weight
/// is read: `model.safetensors`, or the shards `model.safetensors.index.json` lists, or, without these, the same in
/// PyTorch's format (`pytorch_model.bin`, `pytorch_model.bin.index.json`), as transformers looks for them. Each tensor
/// `ParameterLayout` names must be present with exactly the shape the config implies, and no other tensor may be
/// present — except, in a tied checkpoint, an `lm_head.weight` equal to the embedding (`checkTiedHead`).
struct CheckpointFiles {
    let config: Qwen3Config
    let layout: ParameterLayout
    /// The file holding each of `layout.entries`.
    private let sources: [Safetensors]
    /// The file holding a tied checkpoint's `lm_head.weight`, if it has one.
    private let tiedHead: Safetensors?

    init(directory: URL) throws {
        config = try Qwen3Config.load(from: directory.appendingPathComponent(Checkpoint.configFileName))
        layout = ParameterLayout(config: config)
        let files = try Self.weightFiles(in: directory)

        // Every tensor present with its shape before allocating, so a config that claims a huge model
        // over a small file is refused instead of exhausting memory.
        var unused = Set(files.names)
        var sources: [Safetensors] = []
        for entry in layout.entries {
            guard let file = files[entry.name] else {
                throw InputError("missing tensor '\(entry.name)' (shape \(entry.shape))", source: files.files.map(\.url.path).joined(separator: ", "))
            }
            let shape = file.tensors[entry.name]!.shape
            guard shape == entry.shape else {
                throw InputError("tensor '\(entry.name)' has shape \(shape), but config.json implies \(entry.shape)", source: file.url.path)
            }
            unused.remove(entry.name)
            sources.append(file)
        }
        tiedHead = config.tieWordEmbeddings && unused.remove("lm_head.weight") != nil ? files["lm_head.weight"] : nil
        if let name = unused.min() {
            let more = unused.count > 1 ? " (and \(unused.count - 1) more)" : ""
            throw InputError("unexpected tensor '\(name)'\(more) not used by a Qwen3 model with this config", source: files[name]!.url.path)
        }
        self.sources = sources
    }

    /// Whether every tensor of the layout is stored as BF16.
    var holdsBFloat16Only: Bool {
        zip(layout.entries, sources).allSatisfy { $1.tensors[$0.name]!.dtype == .bf16 }
    }

    /// Reads every tensor into `buffer` (`layout.totalCount` values in layout order); a NaN or infinite weight is an
    /// error naming its tensor unless `allowingNonFiniteWeights`.
    func read(into buffer: UnsafeMutableBufferPointer<Float>, allowingNonFiniteWeights: Bool) throws {
        for (entry, file) in zip(layout.entries, sources) {
            let tensor = UnsafeMutableBufferPointer(rebasing: buffer[entry.offset..<entry.offset + entry.count])
            try file.read(entry.name, into: tensor)
            if !allowingNonFiniteWeights, let index = tensor.firstIndex(where: { !$0.isFinite }) {
                throw nonFinite(entry.name, tensor[index], at: index, in: file)
            }
        }
    }

    /// Reads every tensor, all BF16 (`holdsBFloat16Only`), into `buffer` as it is stored, checking as the float32 `read` does.
    func read(into buffer: UnsafeMutableBufferPointer<BFloat16>, allowingNonFiniteWeights: Bool) throws {
        for (entry, file) in zip(layout.entries, sources) {
            let tensor = UnsafeMutableBufferPointer(rebasing: buffer[entry.offset..<entry.offset + entry.count])
            try file.read(entry.name, into: tensor)
            if !allowingNonFiniteWeights, let index = tensor.firstIndex(where: { !$0.float.isFinite }) {
                throw nonFinite(entry.name, tensor[index].float, at: index, in: file)
            }
        }
    }

    private func nonFinite(_ name: String, _ value: Float, at index: Int, in file: Safetensors) -> InputError {
        InputError("tensor '\(name)' holds \(value) at element \(index); weights must be finite", source: file.url.path)
    }

    /// Accepts a tied checkpoint's `lm_head.weight` only if it is bit-for-bit equal to the embedding, whose value at
    /// each layout offset `parameter` gives (a different head would silently change the model).
    func checkTiedHead(_ parameter: (Int) -> Float) throws {
        guard let file = tiedHead else { return }
        let embedding = layout["model.embed_tokens.weight"]!
        let head = try file.floats("lm_head.weight")
        let same = file.tensors["lm_head.weight"]!.shape == embedding.shape
            && head.indices.allSatisfy { head[$0].bitPattern == parameter(embedding.offset + $0).bitPattern }
        guard same else {
            throw InputError("tie_word_embeddings is true but 'lm_head.weight' differs from 'model.embed_tokens.weight'",
                             source: file.url.path)
        }
    }

    /// Opens the first of the single file or the index of shards, of the first format that has one.
    private static func weightFiles(in directory: URL) throws -> TensorFileSet {
        for format in WeightFileFormat.allCases {
            if let set = try TensorFileSet(single: directory.appendingPathComponent(format.modelFileName),
                                           index: directory.appendingPathComponent(format.indexFileName), format: format) {
                return set
            }
        }
        let names = WeightFileFormat.modelWeightFileNames
        throw InputError("no \(names.dropLast().joined(separator: ", ")) or \(names.last!) in the directory", source: directory.path)
    }
}
