import AEPOCore
import AEPOKernels

/// What a run with a Qwen3 model needs in memory, part by part, worked out from the shapes before anything is
/// allocated, so that a run that cannot fit is refused with the figures instead of failing half-way: the
/// parameters and, as the run needs them, more buffers of their size (gradients, AdamW's two moments, a frozen
/// reference model, the checkpoint being read), the activations and scratch of one forward and backward pass, and
/// an inference engine's packed weights, KV cache, workspace and attention scratch. Float32 throughout, but for parameters held in
/// bfloat16 (`ParameterStorage`, with float32 copies of the norm weights), whose copies (packed weights, a reference
/// model) are counted at their size too, and for a KV cache of another `KVCacheDataType`, counted at its element
/// size with its scales; sums in `Double`, so that no shape overflows them.
public struct MemoryEstimate: Equatable, Sendable {
    public struct Part: Equatable, Sendable {
        public var name: String
        public var bytes: Double
    }

    public let config: Qwen3Config
    /// The LoRA adapter trained on the frozen model, if any.
    public let adapter: LoRAConfig?
    /// How the model holds its parameters.
    public let storage: ParameterStorage
    public private(set) var parts: [Part]

    /// The parameters of `config`, held as `storage` says, whose sizes must be within `config.json`'s bounds
    /// (`Qwen3Config.maximum…`), so that its parameter count cannot overflow, and those of `adapter`.
    public init(config: Qwen3Config, adapter: LoRAConfig? = nil, storage: ParameterStorage = .float32) {
        self.config = config
        self.adapter = adapter
        self.storage = storage
        let layout = ParameterLayout(config: config)
        var bytes = Double(layout.totalCount) * Double(storage.bytesPerParameter)
        if storage == .bfloat16 { bytes += Self.bytes(floats: Double(layout.entries.filter { $0.shape.count == 1 }.reduce(0) { $0 + $1.count })) }
        parts = [Part(name: "parameters", bytes: bytes)]
        if let adapter { parts.append(Part(name: "adapter", bytes: Self.bytes(floats: Double(adapter.parameterCount(for: config))))) }
    }

    /// The whole need.
    public var bytes: Double { parts.reduce(0) { $0 + $1.bytes } }

    /// `copies` more buffers the size of the parameters, under `name` ("gradients", "optimizer moments", …).
    public mutating func addParameterSized(_ name: String, copies: Double = 1) {
        parts.append(Part(name: name, bytes: copies * parts[0].bytes))
    }

    /// `copies` more buffers the size of the trained parameters (the adapter's, or the whole model's), under `name`.
    public mutating func addTrainedSized(_ name: String, copies: Double = 1) {
        parts.append(Part(name: name, bytes: copies * parts[adapter == nil ? 0 : 1].bytes))
    }

    /// The activations and backward scratch of one training pass over `sequences` sequences of `positions` tokens
    /// with every position a target (`Qwen3Model.forward` then `backward`), whose layers are recomputed in the backward
    /// pass when `recomputing` (`Qwen3Model.recomputesActivations`).
    public mutating func addTrainingPass(sequences: Int, positions: Int, recomputing: Bool = false) {
        let shape = BatchShape.uniform(sequences: sequences, positions: positions)
        let chunkRows = max(1, min(shape.targets, Qwen3Model.defaultLogitsBudget(vocabulary: config.vocabSize) / config.vocabSize))
        let adapterFloats = adapter.map { LoRAActivations.floatCount($0, model: config, rows: shape.rows, dropout: $0.dropout > 0) } ?? 0
        let headGradients = Activations.preparesHeadGradients(requested: true, frozenHead: adapter != nil,
                                                              targets: shape.targets, chunkRows: chunkRows)
        let floats = Activations.floatCount(config, shape, chunkRows: chunkRows, recomputed: recomputing, headGradients: headGradients)
            + Activations.backwardScratchCount(config, shape)
            + adapterFloats
        parts.append(Part(name: "activations of \(sequences) × \(positions) tokens", bytes: Self.bytes(floats: floats)))
    }

    /// An `InferenceEngine`'s packed weights (about the parameters' size and in their type: an adapter is applied
    /// unmerged, with no copy of the weights it adapts), the KV cache of `sequences` sequences of `positions` tokens
    /// stored as `kvCacheDataType`, the workspace of a call over `rows` tokens (default: a prefill of `positions` tokens),
    /// which runs in passes of at most `maxTokensPerPass` rows, with an adapted module's `rows × rank` product, and the
    /// attention scratch of every thread over `positions` (`PagedAttention.scratchCount` at the engine's default block
    /// size), counted at twice its need: it grows by doubling.
    public mutating func addInferenceEngine(sequences: Int, positions: Int, rows: Int? = nil,
                                            kvCacheDataType: KVCacheDataType = .float32,
                                            maxTokensPerPass: Int = InferenceEngine.defaultMaxTokensPerPass) {
        let c = config
        addParameterSized("packed weights")
        let cache = Double(sequences) * Double(positions) * Double(kvCacheDataType.bytesPerPosition(c))
        let type = kvCacheDataType == .float32 ? "" : " in \(kvCacheDataType.name)"
        parts.append(Part(name: "KV cache of \(sequences) × \(positions) tokens\(type)", bytes: cache))
        let passRows = min(rows ?? positions, maxTokensPerPass)
        let workspace = Double(passRows) * Double(2 * c.hiddenSize + c.queryKeyValueWidth + c.queryWidth + 3 * c.intermediateSize
                                                   + c.numAttentionHeads + c.numKeyValueHeads + (adapter?.rank ?? 0))
        parts.append(Part(name: "decoding workspace", bytes: Self.bytes(floats: workspace)))
        let scores = PagedAttention.scratchCount(queryHeads: c.numAttentionHeads, length: positions, blockSize: InferenceEngine.defaultBlockSize)
        parts.append(Part(name: "attention scratch", bytes: Self.bytes(floats: 2 * Double(Parallel.threadCount) * Double(scores))))
    }

    /// Refuses a need above `limit`: an `InputError` at `source` (and `field`) saying that `subject` needs this much,
    /// part by part, more than the limit, followed by `advice` (what to lower).
    public func check(against limit: MemoryLimit = .current, subject: String, source: String, field: String? = nil,
                      advice: String) throws {
        guard bytes > Double(limit.bytes) else { return }
        let listed = parts.map { "\($0.name) \(MemoryLimit.text($0.bytes))" }.joined(separator: ", ")
        throw InputError("\(subject) needs about \(MemoryLimit.text(bytes)) (\(listed)), more than the \(limit) this process "
                         + "can have; \(advice)", source: source, field: field)
    }

    private static func bytes(floats: Double) -> Double { floats * Double(MemoryLayout<Float>.stride) }
}
