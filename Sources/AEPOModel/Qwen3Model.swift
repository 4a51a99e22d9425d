import AEPOCore
import AEPOKernels

/// Hugging Face's `Qwen3ForCausalLM` in float32, with hand-written backward passes.
///
/// Parameters live in one contiguous buffer laid out by `layout` (Hugging Face names and shapes);
/// gradients in another of the same layout. Training calls `forward(_:temperature:)` for the log-probs and
/// entropies of `softmax(z/T)` at requested positions, then `backward(logProbWeights:entropyWeights:)`, which
/// adds the gradient of `Σ_r a_r·log p_r + b_r·H_r` into `gradients`.
///
/// Per layer: `x += o_proj(attn(rope(q_norm(q_proj(n))), rope(k_norm(k_proj(n))), v_proj(n)))` with
/// `n = input_layernorm(x)`, then `x += down_proj(silu(gate_proj(m)) ⊙ up_proj(m))` with
/// `m = post_attention_layernorm(x)`; logits `= lm_head(norm(x))`.
///
/// With a LoRA adapter attached (`attach(_:)`), every adapted module adds `s · B(A(dropout(x)))` to its output, the
/// base weights are frozen and `backward` computes the adapter's gradients only: no base weight gradient is computed
/// and no buffer is allocated for them; `trainableParameters`/`trainableGradients` are then the adapter's.
///
/// A frozen model may hold its parameters in bfloat16 (`ParameterStorage`): half the memory, and the same results as
/// float32 parameters of the same values, since every kernel widens them exactly where it reads them.
///
/// Activations and scratch are allocated once and reused (grown only for a larger batch), so an
/// instance runs one forward/backward at a time; it is not safe to call from several threads at once.
/// Every large buffer comes from `LargeAllocation`: one the process cannot have is an `OutOfMemoryError`.
public final class Qwen3Model {
    public let config: Qwen3Config
    public let layout: ParameterLayout
    /// All parameters, `layout.totalCount` floats; read a tensor at `layout["name"]!.offset`. Empty when the model holds
    /// its parameters in bfloat16 (`storage`; `parameterValues` has them as floats).
    public let parameters: UnsafeMutableBufferPointer<Float>
    /// Every parameter in bfloat16, in `layout` order, when that is how the model holds them.
    private let frozenParameters: UnsafeMutableBufferPointer<BFloat16>?
    /// With bfloat16 parameters: float32 copies of the vectors (norm weights), which the norms read, and where each
    /// vector's copy starts, by its offset in `layout`.
    private let vectorCopies: UnsafeMutableBufferPointer<Float>?
    private let vectorOffsets: [Int: Int]
    /// The rotary tables, shared with the decoder.
    public let rotary: RotaryEmbedding
    /// Largest number of floats of logits held at once (`rows × vocab`); larger requests are processed in chunks.
    public var logitsBudget: Int
    /// The default `logitsBudget`: 2²⁴ floats (64 MB), or 1,024 rows of a vocabulary larger than 16,384 (Qwen3's
    /// 151,936: 622 MB). Each chunk's product packs the whole LM head again (and, when the head trains, reads and
    /// writes its gradient), so chunks of a hundred rows spent about as long copying the head as multiplying by it.
    public static func defaultLogitsBudget(vocabulary: Int) -> Int { max(1 << 24, 1024 * vocabulary) }
    /// Activation checkpointing: a training forward keeps only each layer's input and residual after attention (plus
    /// one layer's worth of buffers the layers share), and `backward` recomputes each layer from them before
    /// differentiating it — all but o_proj's product (in the saved residual) and down_proj's (the layer's output, which
    /// the backward pass does not need). The gradients are the same bits; the saved activations shrink from `layers ×`
    /// a layer's to about one layer's, for about 70 % of one more forward pass through the layers.
    public var recomputesActivations = false

    private var gradientStorage: UnsafeMutableBufferPointer<Float>?
    /// The LoRA adapter the model runs with, if any; the base parameters are then frozen.
    public private(set) var adapter: LoRAAdapter?
    /// False inside `withoutAdapter`.
    private var adapterEnabled = true
    private let activationArena = FloatArena(purpose: "the activations")
    private let adapterArena = FloatArena(purpose: "the adapter's activations")
    private let scratchArena = FloatArena(purpose: "the backward pass's scratch")
    private var saved: Activations?
    private let weights: [LayerWeights]

    /// A model with the given parameter values (`layout.totalCount` floats in `ParameterLayout` order).
    public convenience init(config: Qwen3Config, parameters values: [Float]) throws {
        precondition(values.count == ParameterLayout(config: config).totalCount,
                     "expected \(ParameterLayout(config: config).totalCount) parameters, got \(values.count)")
        try self.init(config: config) { _ = $0.update(fromContentsOf: values) }
    }

    /// A model that will not be trained (only an adapter on it may be) with the given parameter values, held in
    /// bfloat16 when bfloat16 holds every value exactly (as it does the weights of a BF16 checkpoint), else in float32.
    public convenience init(config: Qwen3Config, frozenParameters values: [Float]) throws {
        precondition(values.count == ParameterLayout(config: config).totalCount,
                     "expected \(ParameterLayout(config: config).totalCount) parameters, got \(values.count)")
        guard values.allSatisfy({ BFloat16(exactly: $0) != nil }) else {
            try self.init(config: config, parameters: values)
            return
        }
        try self.init(config: config, bfloat16: { buffer in
            for (i, value) in values.enumerated() { buffer[i] = BFloat16(exactly: value)! }
        })
    }

    /// A randomly initialised model as transformers initialises one: embedding and linear weights
    /// from `normal(0, initializer_range)`, norm weights 1.
    public convenience init(config: Qwen3Config, seed: UInt64) throws {
        try self.init(config: config) { values in
            var generator = SeededGenerator(seed: seed)
            for entry in ParameterLayout(config: config).entries {
                let isNorm = entry.shape.count == 1
                for i in entry.offset..<(entry.offset + entry.count) {
                    values[i] = isNorm ? 1 : Float(generator.nextGaussian()) * config.initializerRange
                }
            }
        }
    }

    /// A model whose float32 parameters `fill` writes into its zeroed buffer.
    private convenience init(config: Qwen3Config, filling fill: (UnsafeMutableBufferPointer<Float>) -> Void) throws {
        let parameters = try LargeAllocation.floats(ParameterLayout(config: config).totalCount, for: "the parameters")
        fill(parameters)
        try self.init(config: config, parameters: parameters, frozenParameters: nil)
    }

    /// A model holding its parameters in bfloat16, which `fill` writes into its zeroed buffer (in `layout` order).
    convenience init(config: Qwen3Config, bfloat16 fill: (UnsafeMutableBufferPointer<BFloat16>) throws -> Void) throws {
        let values = try LargeAllocation.buffer(ParameterLayout(config: config).totalCount, of: BFloat16.self, for: "the parameters")
        do {
            try fill(values)
        } catch {
            LargeAllocation.release(values.baseAddress)
            throw error
        }
        try self.init(config: config, parameters: UnsafeMutableBufferPointer(start: nil, count: 0), frozenParameters: values)
    }

    /// A model owning `parameters` (float32) or, when given, `frozenParameters` (bfloat16).
    private init(config: Qwen3Config, parameters: UnsafeMutableBufferPointer<Float>,
                 frozenParameters: UnsafeMutableBufferPointer<BFloat16>?) throws {
        let layout = ParameterLayout(config: config)
        precondition(config.headDim % 2 == 0 && config.numAttentionHeads % config.numKeyValueHeads == 0,
                     "unsupported head configuration")
        self.config = config
        self.layout = layout
        self.parameters = parameters
        self.frozenParameters = frozenParameters
        logitsBudget = Self.defaultLogitsBudget(vocabulary: config.vocabSize)
        var vectorOffsets: [Int: Int] = [:]
        if let frozenParameters {
            let vectors = layout.entries.filter { $0.shape.count == 1 }
            var copies: UnsafeMutableBufferPointer<Float>
            do {
                copies = try LargeAllocation.floats(vectors.reduce(0) { $0 + $1.count }, for: "the norm weights")
            } catch {
                LargeAllocation.release(frozenParameters.baseAddress)
                throw error
            }
            var start = 0
            for entry in vectors {
                BFloat16.widen(frozenParameters.baseAddress! + entry.offset, into: copies.baseAddress! + start, count: entry.count)
                vectorOffsets[entry.offset] = start
                start += entry.count
            }
            vectorCopies = copies
        } else {
            vectorCopies = nil
        }
        self.vectorOffsets = vectorOffsets
        rotary = RotaryEmbedding(headDim: config.headDim, theta: config.ropeTheta, maxPositions: config.maxPositionEmbeddings)
        weights = (0..<config.numHiddenLayers).map { LayerWeights(layer: $0, layout: layout) }
        precondition(weights.allSatisfy { $0.fusesProjections(config) }, "parameter layout does not keep q|k|v and gate|up adjacent")
    }

    deinit {
        LargeAllocation.release(parameters.baseAddress)
        LargeAllocation.release(frozenParameters?.baseAddress)
        LargeAllocation.release(vectorCopies?.baseAddress)
        LargeAllocation.release(gradientStorage?.baseAddress)
    }

    /// How the model holds its parameters.
    public var storage: ParameterStorage { frozenParameters == nil ? .float32 : .bfloat16 }

    /// The bytes the parameters take (with bfloat16 storage, the float32 copies of the norm weights included).
    public var parameterBytes: Int {
        frozenParameters == nil ? 4 * parameters.count : 2 * layout.totalCount + 4 * (vectorCopies?.count ?? 0)
    }

    /// The weight matrix (or the parameters) from `offset` in `layout` on, as the kernels read it.
    func matrix(_ offset: Int) -> WeightPointer {
        if let frozenParameters { return .bfloat16(UnsafePointer(frozenParameters.baseAddress! + offset)) }
        return .float32(UnsafePointer(parameters.baseAddress! + offset))
    }

    /// The vector (a norm weight) at `offset` in `layout`, as float32.
    func vector(_ offset: Int) -> UnsafePointer<Float> {
        guard let vectorCopies else { return UnsafePointer(parameters.baseAddress! + offset) }
        return UnsafePointer(vectorCopies.baseAddress! + vectorOffsets[offset]!)
    }

    /// Gradients of the base parameters in `layout` order, `backward` adds into them; empty until `allocateGradients`
    /// (which `backward` calls), and always empty with an adapter (the base is frozen).
    public var gradients: UnsafeMutableBufferPointer<Float> {
        gradientStorage ?? UnsafeMutableBufferPointer(start: nil, count: 0)
    }

    /// The parameters training updates: the adapter's when one is attached, else all of the model's.
    public var trainableParameters: UnsafeMutableBufferPointer<Float> { adapter?.parameters ?? parameters }

    /// The named tensors of `trainableParameters`, laid end to end in order.
    public var trainableEntries: [ParameterLayout.Entry] { adapter?.entries ?? layout.entries }

    /// The gradients of `trainableParameters` (empty until `allocateGradients`).
    public var trainableGradients: UnsafeMutableBufferPointer<Float> { adapter?.gradients ?? gradients }

    /// Allocates the gradients of the trainable parameters (zeroed) unless they are; an `OutOfMemoryError` when they
    /// do not fit. A model holding bfloat16 parameters trains only through an adapter.
    public func allocateGradients() throws {
        if let adapter { return try adapter.allocateGradients() }
        precondition(storage == .float32, "a model holding bfloat16 parameters is frozen: attach an adapter to train")
        if gradientStorage == nil { gradientStorage = try LargeAllocation.floats(layout.totalCount, for: "the gradients") }
    }

    public func zeroGradients() {
        trainableGradients.update(repeating: 0)
    }

    /// Runs with `adapter` from now on, freezing the base parameters (whose gradients, if any, are released). An
    /// `InputError` when the adapter was made for a model of another shape.
    public func attach(_ adapter: LoRAAdapter) throws {
        guard adapter.model == config else {
            throw InputError("the adapter was made for a model of another shape (\(adapter.model)), not this one (\(config))",
                             source: "LoRA adapter")
        }
        LargeAllocation.release(gradientStorage?.baseAddress)
        gradientStorage = nil
        saved = nil
        self.adapter = adapter
    }

    /// Runs `body` with the adapter switched off: the base model's outputs (PEFT's `disable_adapter()`), as the frozen
    /// reference of a KL term sees them.
    public func withoutAdapter<Result>(_ body: () throws -> Result) rethrows -> Result {
        adapterEnabled = false
        defer { adapterEnabled = true }
        return try body()
    }

    /// The adapter the next pass runs with.
    private var activeAdapter: LoRAAdapter? { adapterEnabled ? adapter : nil }

    /// Calls `body` with every parameter as a float, in `layout` order: the model's own buffer (no copy), or a widened
    /// copy of bfloat16 storage.
    public func withParameterValues<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        guard frozenParameters != nil else { return try body(UnsafeBufferPointer(parameters)) }
        return try parameterValues.withUnsafeBufferPointer(body)
    }

    /// The parameter values as an array of floats (a copy; bfloat16 values widened).
    public var parameterValues: [Float] {
        guard let frozenParameters else { return Array(parameters) }
        return [Float](unsafeUninitializedCapacity: frozenParameters.count) { values, initialized in
            BFloat16.widen(frozenParameters.baseAddress!, into: values.baseAddress!, count: frozenParameters.count)
            initialized = frozenParameters.count
        }
    }

    // MARK: - Forward

    /// Log-probabilities of each target token and the full-vocabulary entropy at each target position,
    /// in `batch.targets` order, under `softmax(z / temperature)` (the distribution a sampler at that
    /// temperature draws from; 1: the model's own). Saves the activations for `backward`. An adapter with dropout
    /// drops its inputs with masks drawn from `dropoutSeed` (a training pass); without a seed it does not (evaluation).
    ///
    /// `preparingLogProbGradient` says that the `backward` to come takes no entropy weights. The LM head of a model
    /// with an adapter is frozen, so its backward pass needs only `∂log p_t/∂hidden = s·(e_t − p)·W` (`s = 1/T`)
    /// at each target; when the logits come in chunks, which the backward pass would compute again, the forward pass
    /// computes that product from each chunk as it goes: one LM-head product a token less. (A `backward` with entropy
    /// weights after all recomputes the logits, as without it.)
    public func forward(_ batch: TokenBatch, temperature: Float = 1, dropoutSeed: UInt64? = nil,
                        preparingLogProbGradient: Bool = false) throws -> (logProbs: [Float], entropies: [Float]) {
        precondition(temperature > 0 && temperature.isFinite, "temperature must be positive, got \(temperature)")
        checkValid(batch)
        let chunkRows = max(1, logitsBudget / config.vocabSize)
        let prepares = Activations.preparesHeadGradients(requested: preparingLogProbGradient, frozenHead: activeAdapter != nil,
                                                         targets: batch.targets.count, chunkRows: chunkRows)
        var a = try runDecoder(batch, chunkRows: chunkRows, headGradients: prepares, dropoutSeed: dropoutSeed)
        a.logitScale = 1 / temperature
        let c = config
        for r in 0..<a.shape.targets {
            (a.gathered + r * c.hiddenSize).update(from: a.finalNorm + Int(a.targetRows[r]) * c.hiddenSize, count: c.hiddenSize)
        }
        let minusOnes = [Float](repeating: -1, count: prepares ? a.chunkRows : 0)
        a.targetTokens.withUnsafeBufferPointer { targets in
            for start in stride(from: 0, to: a.shape.targets, by: a.chunkRows) {
                let rows = min(a.chunkRows, a.shape.targets - start)
                computeLogits(rows: rows, from: a.gathered + start * c.hiddenSize, into: a.logits, scale: a.logitScale)
                LogSoftmax.forward(logProbs: a.logProbs + start, entropies: a.entropies + start,
                                   logNormalizers: a.logNormalizers + start, logits: a.logits,
                                   targets: targets.baseAddress! + start, rows: rows, vocabulary: c.vocabSize)
                guard let headGradients = a.headGradients else { continue }
                // p − e_t (the log-softmax's backward with weight −1), then (p − e_t)·W.
                LogSoftmax.backward(logits: a.logits, logNormalizers: a.logNormalizers + start, entropies: a.entropies + start,
                                    targets: targets.baseAddress! + start, logProbWeights: minusOnes, entropyWeights: nil,
                                    rows: rows, vocabulary: c.vocabSize)
                Linear.backward(inputGradient: headGradients + start * c.hiddenSize, weightGradient: nil,
                                outputGradient: a.logits, input: a.gathered + start * c.hiddenSize,
                                weight: matrix(layout.lmHeadOffset), rows: rows, inputWidth: c.hiddenSize, outputWidth: c.vocabSize)
            }
        }
        if let headGradients = a.headGradients, a.logitScale != 1 {
            VectorMath.scale(headGradients, count: a.shape.targets * c.hiddenSize, by: a.logitScale)
        }
        saved = a
        return (Array(UnsafeBufferPointer(start: a.logProbs, count: a.shape.targets)),
                Array(UnsafeBufferPointer(start: a.entropies, count: a.shape.targets)))
    }

    /// Whether the last forward pass prepared the LM head's backward pass (`forward`'s `preparingLogProbGradient`).
    var preparedHeadGradients: Bool { saved?.headGradients != nil }

    /// Full next-token logits for inspection: `result[b][t]` is the vocabulary-sized vector after
    /// `sequences[b][t]`. Does not keep activations for `backward`.
    public func logits(for sequences: [[Int]]) throws -> [[[Float]]] {
        let batch = TokenBatch(sequences: sequences, targets: [])
        checkValid(batch)
        saved = nil
        let a = try runDecoder(batch, chunkRows: 0)
        let v = config.vocabSize
        let row = UnsafeMutablePointer<Float>.allocate(capacity: v)
        defer { row.deallocate() }
        return sequences.enumerated().map { b, sequence in
            (0..<sequence.count).map { t in
                computeLogits(rows: 1, from: a.finalNorm + (a.attention.starts[b] + t) * config.hiddenSize, into: row)
                return Array(UnsafeBufferPointer(start: row, count: v))
            }
        }
    }

    /// Stops on an invalid batch: callers with untrusted ids check `batch.validate(for:)` first.
    private func checkValid(_ batch: TokenBatch) {
        do {
            try batch.validate(for: config)
        } catch {
            preconditionFailure("invalid token batch: \(error)")
        }
    }

    /// The LM head: `logits[rows, vocab] = scale · hidden · Wᵀ` (W is `lm_head.weight` or the tied embedding;
    /// `scale` is 1/T for a tempered distribution).
    private func computeLogits(rows: Int, from hidden: UnsafePointer<Float>, into logits: UnsafeMutablePointer<Float>, scale: Float = 1) {
        Linear.forward(output: logits, input: hidden, weight: matrix(layout.lmHeadOffset),
                       rows: rows, inputWidth: config.hiddenSize, outputWidth: config.vocabSize)
        if scale != 1 { VectorMath.scale(logits, count: rows * config.vocabSize, by: scale) }
    }

    /// Embedding, decoder layers (with the adapter, if any) and the final norm over the batch's tokens (no padding).
    private func runDecoder(_ batch: TokenBatch, chunkRows: Int, headGradients: Bool = false,
                            dropoutSeed: UInt64? = nil) throws -> Activations {
        let c = config
        var a = try Activations(c, batch, chunkRows: chunkRows, recomputed: recomputesActivations, headGradients: headGradients,
                                arena: activationArena)
        let n = a.shape.rows
        if let adapter = activeAdapter {
            a.adapter = try LoRAActivations(adapter, rows: n, dropoutSeed: dropoutSeed, arena: adapterArena)
        }
        a.tokens.withUnsafeBufferPointer { tokens in
            Embedding.forward(output: a.layers.first?.input ?? a.output, tokens: tokens.baseAddress!,
                              table: matrix(layout["model.embed_tokens.weight"]!.offset), count: n, width: c.hiddenSize)
        }
        for l in a.layers.indices {
            forwardLayer(l, of: a, output: l + 1 < a.layers.count ? a.layers[l + 1].input : a.output)
        }
        RMSNorm.forward(output: a.finalNorm, rstd: a.finalNormRstd, input: a.output,
                        weight: vector(layout["model.norm.weight"]!.offset), rows: n, width: c.hiddenSize, eps: c.rmsNormEps)
        return a
    }

    /// Decoder layer `l` of the pass `a` from its saved input: fills the layer's activations (and the adapter's) and
    /// writes the layer's output to `output`. The backward pass of a recomputing model runs it again without `output`
    /// (`nil`), to the same bits: the saved `middle` stands for o_proj's product and the layer's output is not needed,
    /// so neither o_proj nor down_proj runs (their adapters' `x·Aᵀ` are kept from the forward pass).
    private func forwardLayer(_ l: Int, of a: Activations, output next: UnsafeMutablePointer<Float>?) {
        let c = config
        let n = a.shape.rows
        let s = a.layers[l]
        /// `s · B(A(dropout(input)))` of the module `target` of layer `l`, when it is adapted, as a term for the frozen
        /// product to add at its output columns from `column` on.
        func adapter(_ target: LoRATarget, input: UnsafePointer<Float>, column: Int = 0) -> [LowRankTerm] {
            guard let adapter = activeAdapter, let lora = a.adapter, let (index, site) = adapter.site(layer: l, target: target) else { return [] }
            return [adapter.term(site, input: input, rows: n, column: column, projected: lora.projected[index], scratch: lora.scratch,
                                 dropout: lora.dropout(site: index))]
        }
        let w = weights[l]
        let qkvW = c.queryKeyValueWidth
        RMSNorm.forward(output: s.norm1, rstd: s.norm1Rstd, input: s.input, weight: vector(w.inputNorm),
                        rows: n, width: c.hiddenSize, eps: c.rmsNormEps)
        // q|k|v as one product (their weights are adjacent), then the per-head norms in place.
        let qkvAdapters = adapter(.query, input: s.norm1) + adapter(.key, input: s.norm1, column: c.queryWidth)
            + adapter(.value, input: s.norm1, column: c.queryWidth + c.keyValueWidth)
        Linear.forward(output: s.projections, input: s.norm1, weight: matrix(w.queryProjection), rows: n, inputWidth: c.hiddenSize,
                       outputWidth: qkvW, adding: qkvAdapters)
        RMSNorm.forward(output: s.query, rstd: s.queryRstd, input: s.projections, weight: vector(w.queryNorm),
                        rows: n * c.numAttentionHeads, width: c.headDim, eps: c.rmsNormEps,
                        heads: c.numAttentionHeads, inputStride: qkvW)
        RMSNorm.forward(output: s.key, rstd: s.keyRstd, input: s.projections + c.queryWidth, weight: vector(w.keyNorm),
                        rows: n * c.numKeyValueHeads, width: c.headDim, eps: c.rmsNormEps,
                        heads: c.numKeyValueHeads, inputStride: qkvW)
        a.positions.withUnsafeBufferPointer { positions in
            rotary.forward(s.query, positions: positions.baseAddress!, tokens: n, heads: c.numAttentionHeads)
            rotary.forward(s.key, positions: positions.baseAddress!, tokens: n, heads: c.numKeyValueHeads)
        }
        Attention.forward(output: s.attention, probabilities: s.probabilities, query: s.query, key: s.key,
                          value: s.projections + c.queryWidth + c.keyValueWidth, shape: a.attention)
        if next != nil {
            s.middle.update(from: s.input, count: n * c.hiddenSize)
            Linear.forward(output: s.middle, input: s.attention, weight: matrix(w.outputProjection), rows: n,
                           inputWidth: c.queryWidth, outputWidth: c.hiddenSize, accumulate: true, adding: adapter(.output, input: s.attention))
        }
        RMSNorm.forward(output: s.norm2, rstd: s.norm2Rstd, input: s.middle, weight: vector(w.postAttentionNorm),
                        rows: n, width: c.hiddenSize, eps: c.rmsNormEps)
        Linear.forward(output: s.gate, input: s.norm2, weight: matrix(w.gateProjection), rows: n, inputWidth: c.hiddenSize,
                       outputWidth: c.intermediateSize, adding: adapter(.gate, input: s.norm2))
        Linear.forward(output: s.up, input: s.norm2, weight: matrix(w.upProjection), rows: n, inputWidth: c.hiddenSize,
                       outputWidth: c.intermediateSize, adding: adapter(.up, input: s.norm2))
        SwiGLU.forward(output: s.activated, gate: s.gate, up: s.up, count: n * c.intermediateSize)
        guard let next else { return }
        next.update(from: s.middle, count: n * c.hiddenSize)
        Linear.forward(output: next, input: s.activated, weight: matrix(w.downProjection), rows: n,
                       inputWidth: c.intermediateSize, outputWidth: c.hiddenSize, accumulate: true, adding: adapter(.down, input: s.activated))
    }

    // MARK: - Backward

    /// Adds into `trainableGradients` the gradient of `Σ_r logProbWeights[r]·log p_r + entropyWeights[r]·H_r`
    /// over the targets of the last `forward`. (For mean cross-entropy, `logProbWeights[r] = −1/count`.) With an
    /// adapter only the adapter's gradients are computed (the base weights' are not).
    public func backward(logProbWeights: [Float], entropyWeights: [Float]? = nil) throws {
        guard let a = saved else { preconditionFailure("backward needs a preceding forward") }
        precondition(logProbWeights.count == a.shape.targets, "one log-prob weight per target")
        precondition(entropyWeights == nil || entropyWeights!.count == a.shape.targets, "one entropy weight per target")
        precondition(adapter == nil || a.adapter != nil, "backward through a forward without the adapter trains nothing")
        let c = config
        let n = a.shape.rows
        try allocateGradients()
        /// Where the gradient of the base parameter at `offset` goes: nowhere when the base is frozen.
        let base = gradientStorage?.baseAddress
        func g(_ offset: Int) -> UnsafeMutablePointer<Float>? { base.map { $0 + offset } }
        /// The frozen input-gradient product `product` into `inputGradient` and the adapters of layer `l`'s modules behind
        /// it (`targets`, each with its output's gradient and that gradient's row stride; the modules read `input`): each
        /// adapter's gradients first (`LowRankLinear.backwardTerm`), then the product, which adds their terms of
        /// `∂L/∂input` — or, with dropout, whose masks come after them, each adapter adds its masked term after it.
        func backwardAdapted(_ l: Int, _ targets: [(LoRATarget, outputGradient: UnsafeMutablePointer<Float>, stride: Int)],
                             input: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>, product: ([LowRankTerm]) -> Void) {
            guard let adapter, let lora = a.adapter else { return product([]) }
            let (q, dq) = (adapter.parameters.baseAddress!, adapter.gradients.baseAddress!)
            let sites = targets.compactMap { target, dy, stride in
                adapter.site(layer: l, target: target).map { (index: $0.index, site: $0.site, dy: dy, stride: stride) }
            }
            precondition(sites.count <= LoRAActivations.termsPerProduct, "more adapted modules behind one product than the scratch holds")
            let rank = adapter.config.rank
            let droppedScratch = lora.scratch + LoRAActivations.termsPerProduct * n * rank
            let terms = sites.enumerated().map { slot, entry in
                LowRankLinear.backwardTerm(aGradient: dq + entry.site.a, bGradient: dq + entry.site.b, outputGradient: entry.dy,
                                           input: input, a: q + entry.site.a, b: q + entry.site.b, projected: lora.projected[entry.index],
                                           scratch: lora.scratch + slot * n * rank, droppedScratch: droppedScratch,
                                           shape: entry.site.shape(rows: n, stride: entry.stride, config: adapter.config),
                                           dropout: lora.dropout(site: entry.index))
            }
            guard lora.dropoutSeed != nil else { return product(terms) }
            product([])
            for (term, entry) in zip(terms, sites) {
                LowRankLinear.addDropped(term, dropout: lora.dropout(site: entry.index)!, to: inputGradient, scratch: droppedScratch,
                                         shape: entry.site.shape(rows: n, stride: entry.stride, config: adapter.config))
            }
        }
        let (H, KV, D) = (c.numAttentionHeads, c.numKeyValueHeads, c.headDim)
        let qkvW = c.queryKeyValueWidth

        try scratchArena.reset(reserving: Int(Activations.backwardScratchCount(c, a.shape)))
        let dResidual = scratchArena.take(n * c.hiddenSize)
        let dNorm = scratchArena.take(n * c.hiddenSize)
        let dFinal = scratchArena.take(n * c.hiddenSize)
        let dQuery = scratchArena.take(n * c.queryWidth)
        let dAttention = scratchArena.take(n * c.queryWidth)
        let dKey = scratchArena.take(n * c.keyValueWidth)
        let dProjections = scratchArena.take(n * qkvW)
        let dGate = scratchArena.take(n * c.intermediateSize)
        let dUp = scratchArena.take(n * c.intermediateSize)
        let dActivated = scratchArena.take(n * c.intermediateSize)
        let attentionScratch = scratchArena.take(a.attention.backwardScratchCount)
        let dGathered = scratchArena.take(a.shape.targets * c.hiddenSize)

        // LM head, chunk by chunk (recomputing the logits unless they were all kept), unless the forward pass prepared it.
        let lmHead = layout.lmHeadOffset
        let entropyWeightValues = entropyWeights ?? []
        let prepared = entropyWeights == nil ? a.headGradients : nil
        if prepared == nil {
            a.targetTokens.withUnsafeBufferPointer { targets in
                logProbWeights.withUnsafeBufferPointer { logProbWeights in
                    entropyWeightValues.withUnsafeBufferPointer { entropyWeightBuffer in
                        for start in stride(from: 0, to: a.shape.targets, by: a.chunkRows) {
                            let rows = min(a.chunkRows, a.shape.targets - start)
                            let hidden = a.gathered + start * c.hiddenSize
                            if !a.logitsRetained { computeLogits(rows: rows, from: hidden, into: a.logits, scale: a.logitScale) }
                            LogSoftmax.backward(logits: a.logits, logNormalizers: a.logNormalizers + start, entropies: a.entropies + start,
                                                targets: targets.baseAddress! + start, logProbWeights: logProbWeights.baseAddress! + start,
                                                entropyWeights: entropyWeights == nil ? nil : entropyWeightBuffer.baseAddress! + start,
                                                rows: rows, vocabulary: c.vocabSize)
                            // ∂L/∂(hidden·Wᵀ) = scale · ∂L/∂(scaled logits).
                            if a.logitScale != 1 { VectorMath.scale(a.logits, count: rows * c.vocabSize, by: a.logitScale) }
                            Linear.backward(inputGradient: dGathered + start * c.hiddenSize, weightGradient: g(lmHead),
                                            outputGradient: a.logits, input: hidden, weight: matrix(lmHead),
                                            rows: rows, inputWidth: c.hiddenSize, outputWidth: c.vocabSize)
                        }
                    }
                }
            }
        }
        // Saved logits were overwritten by their gradients.
        saved = nil
        dFinal.update(repeating: 0, count: n * c.hiddenSize)
        for r in 0..<a.shape.targets {
            // A prepared row is −∂log p_t/∂hidden: its gradient is −logProbWeights[r] times it.
            let (row, weight) = prepared.map { ($0 + r * c.hiddenSize, -logProbWeights[r]) } ?? (dGathered + r * c.hiddenSize, 1)
            Reduction.addScaled(dFinal + Int(a.targetRows[r]) * c.hiddenSize, row, weight, c.hiddenSize)
        }
        dResidual.update(repeating: 0, count: n * c.hiddenSize)
        let finalNorm = layout["model.norm.weight"]!.offset
        RMSNorm.backward(inputGradient: dResidual, weightGradient: g(finalNorm), outputGradient: dFinal, input: a.output,
                         weight: vector(finalNorm), rstd: a.finalNormRstd, rows: n, width: c.hiddenSize)

        for (l, s) in a.layers.enumerated().reversed() {
            let w = weights[l]
            // The layer's activations again from its input and its saved residual after attention.
            if a.recomputed { forwardLayer(l, of: a, output: nil) }
            // x_out = middle + down(silu(gate) ⊙ up)
            backwardAdapted(l, [(.down, dResidual, c.hiddenSize)], input: s.activated, inputGradient: dActivated) { terms in
                Linear.backward(inputGradient: dActivated, weightGradient: g(w.downProjection), outputGradient: dResidual,
                                input: s.activated, weight: matrix(w.downProjection), rows: n,
                                inputWidth: c.intermediateSize, outputWidth: c.hiddenSize, adding: terms)
            }
            SwiGLU.backward(gateGradient: dGate, upGradient: dUp, outputGradient: dActivated, gate: s.gate, up: s.up,
                            count: n * c.intermediateSize)
            Linear.backward(inputGradient: dNorm, weightGradient: g(w.gateProjection), outputGradient: dGate,
                            input: s.norm2, weight: matrix(w.gateProjection), rows: n,
                            inputWidth: c.hiddenSize, outputWidth: c.intermediateSize)
            backwardAdapted(l, [(.gate, dGate, c.intermediateSize), (.up, dUp, c.intermediateSize)], input: s.norm2,
                            inputGradient: dNorm) { terms in
                Linear.backward(inputGradient: dNorm, weightGradient: g(w.upProjection), outputGradient: dUp,
                                input: s.norm2, weight: matrix(w.upProjection), rows: n,
                                inputWidth: c.hiddenSize, outputWidth: c.intermediateSize, accumulateInput: true, adding: terms)
            }
            RMSNorm.backward(inputGradient: dResidual, weightGradient: g(w.postAttentionNorm), outputGradient: dNorm,
                             input: s.middle, weight: vector(w.postAttentionNorm), rstd: s.norm2Rstd, rows: n, width: c.hiddenSize)
            // middle = input + o_proj(attention)
            backwardAdapted(l, [(.output, dResidual, c.hiddenSize)], input: s.attention, inputGradient: dAttention) { terms in
                Linear.backward(inputGradient: dAttention, weightGradient: g(w.outputProjection), outputGradient: dResidual,
                                input: s.attention, weight: matrix(w.outputProjection), rows: n,
                                inputWidth: c.queryWidth, outputWidth: c.hiddenSize, adding: terms)
            }
            // dv goes straight into its columns of the fused q|k|v gradient; dq and dk reach theirs through the norms.
            dProjections.update(repeating: 0, count: n * qkvW)
            let valueOffset = c.queryWidth + c.keyValueWidth
            Attention.backward(queryGradient: dQuery, keyGradient: dKey, valueGradient: dProjections + valueOffset,
                               scratch: attentionScratch, outputGradient: dAttention, probabilities: s.probabilities,
                               query: s.query, key: s.key, value: s.projections + valueOffset, shape: a.attention)
            a.positions.withUnsafeBufferPointer { positions in
                rotary.backward(dQuery, positions: positions.baseAddress!, tokens: n, heads: H)
                rotary.backward(dKey, positions: positions.baseAddress!, tokens: n, heads: KV)
            }
            RMSNorm.backward(inputGradient: dProjections, weightGradient: g(w.queryNorm), outputGradient: dQuery,
                             input: s.projections, weight: vector(w.queryNorm), rstd: s.queryRstd, rows: n * H, width: D,
                             heads: H, inputStride: qkvW)
            RMSNorm.backward(inputGradient: dProjections + c.queryWidth, weightGradient: g(w.keyNorm), outputGradient: dKey,
                             input: s.projections + c.queryWidth, weight: vector(w.keyNorm), rstd: s.keyRstd, rows: n * KV, width: D,
                             heads: KV, inputStride: qkvW)
            backwardAdapted(l, [(.query, dProjections, qkvW), (.key, dProjections + c.queryWidth, qkvW),
                                (.value, dProjections + valueOffset, qkvW)], input: s.norm1, inputGradient: dNorm) { terms in
                Linear.backward(inputGradient: dNorm, weightGradient: g(w.queryProjection), outputGradient: dProjections,
                                input: s.norm1, weight: matrix(w.queryProjection), rows: n,
                                inputWidth: c.hiddenSize, outputWidth: qkvW, adding: terms)
            }
            RMSNorm.backward(inputGradient: dResidual, weightGradient: g(w.inputNorm), outputGradient: dNorm,
                             input: s.input, weight: vector(w.inputNorm), rstd: s.norm1Rstd, rows: n, width: c.hiddenSize)
        }
        guard let embedding = g(layout["model.embed_tokens.weight"]!.offset) else { return }
        a.tokens.withUnsafeBufferPointer { tokens in
            Embedding.backward(tableGradient: embedding, outputGradient: dResidual, tokens: tokens.baseAddress!, count: n, width: c.hiddenSize)
        }
    }
}

/// Offsets of one decoder layer's weights in the parameter (and gradient) buffer.
struct LayerWeights {
    var inputNorm, queryProjection, keyProjection, valueProjection, queryNorm, keyNorm: Int
    var outputProjection, postAttentionNorm, gateProjection, upProjection, downProjection: Int

    init(layer: Int, layout: ParameterLayout) {
        func offset(_ name: String) -> Int { layout["model.layers.\(layer).\(name).weight"]!.offset }
        inputNorm = offset("input_layernorm")
        queryProjection = offset("self_attn.q_proj")
        keyProjection = offset("self_attn.k_proj")
        valueProjection = offset("self_attn.v_proj")
        queryNorm = offset("self_attn.q_norm")
        keyNorm = offset("self_attn.k_norm")
        outputProjection = offset("self_attn.o_proj")
        postAttentionNorm = offset("post_attention_layernorm")
        gateProjection = offset("mlp.gate_proj")
        upProjection = offset("mlp.up_proj")
        downProjection = offset("mlp.down_proj")
    }

    /// Whether q|k|v and gate|up are adjacent in the layout, so each group runs as one product.
    func fusesProjections(_ c: Qwen3Config) -> Bool {
        keyProjection == queryProjection + c.queryWidth * c.hiddenSize
            && valueProjection == keyProjection + c.keyValueWidth * c.hiddenSize
            && upProjection == gateProjection + c.intermediateSize * c.hiddenSize
    }
}
