import AEPOCore
import AEPOKernels
import Foundation

/// Incremental Qwen3 inference over a paged `KVCache`: prefill prompts (or continuations such
/// as a tool result appended to a live sequence), advance many sequences by one token in one
/// batched pass, fork sequences without recomputing their prefix, release them.
///
/// Every call runs the same forward over a set of *rows* (one row per new token, each with its
/// own sequence and position): the linear layers are one product with `M = rows` each (q, k, v
/// fused, gate and up fused; up to `smallBatchLimit` rows through `PackedWeights`, more through
/// `sgemm`), then each row's key and value are stored in the cache and
/// attention reads, per row and head, that row's sequence up to its own position:
/// `out = Σ_{j ≤ pos} softmax_j(q·k_j / √d) v_j`.
/// Only the rows whose logits are asked for pass through the final norm and the LM head.
///
/// Not thread-safe; one engine per sampling loop.
public final class InferenceEngine {
    /// The model whose parameters passes read. Its linear weights are also packed (`PackedWeights`)
    /// when the engine is made: create a new engine after changing the parameters.
    public let model: Qwen3Model
    public let cache: KVCache
    public var config: Qwen3Config { model.config }

    /// Tokens run through the model, split by the call that ran them.
    public struct Statistics: Equatable, Sendable {
        public var prefillTokens = 0
        public var decodedTokens = 0
    }
    public private(set) var statistics = Statistics()

    private let layers: [LayerWeights]
    private let packed: [PackedLayer]
    private let packedHead: PackedWeights
    private let workspace = Workspace()
    /// Row-wise elementwise work (norms, rotary, SwiGLU) is only split over threads beyond this
    /// many rows per thread: a decode step's 16 rows take less time than waking a thread.
    private static let rowsPerThread = 64

    /// An engine over `model`'s current parameters; an `OutOfMemoryError` when its packed weights or cache do not fit.
    public init(model: Qwen3Model, blockSize: Int = 16) throws {
        let c = model.config
        self.model = model
        self.cache = try KVCache(config: c, blockSize: blockSize)
        // The model has checked that q|k|v and gate|up are adjacent (`LayerWeights.fusesProjections`).
        self.layers = (0..<c.numHiddenLayers).map { LayerWeights(layer: $0, layout: model.layout) }
        let w = UnsafePointer(model.parameters.baseAddress!)
        packed = try layers.map { try PackedLayer($0, config: c, parameters: w) }
        packedHead = try PackedWeights(weight: w + model.layout.lmHeadOffset, outputs: c.vocabSize, inputs: c.hiddenSize)
    }

    // MARK: Sequences

    /// A new empty sequence.
    public func makeSequence() -> SequenceID { cache.makeSequence() }

    /// A new sequence continuing from all of `parent`'s positions; nothing is recomputed or copied.
    public func fork(_ parent: SequenceID) -> SequenceID { cache.fork(parent) }

    /// Frees `sequence`'s cache blocks that no other sequence shares.
    public func release(_ sequence: SequenceID) { cache.release(sequence) }

    /// Positions already in the cache for `sequence`.
    public func length(of sequence: SequenceID) -> Int { cache.length(of: sequence) }

    // MARK: Forward

    /// Runs `tokens` (non-empty) at the end of `sequence` and returns the logits after the last
    /// one (`vocabSize` floats).
    public func prefill(sequence: SequenceID, tokens: [Int]) throws -> [Float] {
        try prefill([(sequence, tokens)])
    }

    /// Runs each request's tokens at the end of its sequence in one pass and returns, row by
    /// row, the logits after each request's last token: `[requests × vocabSize]`.
    public func prefill(_ requests: [(sequence: SequenceID, tokens: [Int])]) throws -> [Float] {
        let logits = try run(requests)
        statistics.prefillTokens += requests.reduce(0) { $0 + $1.tokens.count }
        return logits
    }

    /// Advances each of `sequences` (distinct, at any positions) by its token in `tokens` in one
    /// batched pass and returns the next-token logits, `[sequences × vocabSize]`.
    public func decodeStep(sequences: [SequenceID], tokens: [Int]) throws -> [Float] {
        precondition(sequences.count == tokens.count, "one token per sequence")
        let logits = try run(zip(sequences, tokens).map { ($0, [$1]) })
        statistics.decodedTokens += tokens.count
        return logits
    }

    private func run(_ requests: [(sequence: SequenceID, tokens: [Int])]) throws -> [Float] {
        precondition(Set(requests.map(\.sequence)).count == requests.count, "a sequence appears twice in one pass")
        for (sequence, tokens) in requests {
            precondition(cache.contains(sequence), "\(sequence) is not in the cache")
            guard !tokens.isEmpty else {
                throw InputError("no tokens to run for \(sequence)", source: "token ids")
            }
            if let bad = tokens.first(where: { $0 < 0 || $0 >= config.vocabSize }) {
                throw InputError("token id \(bad) is outside the vocabulary 0..<\(config.vocabSize)", source: "token ids")
            }
            let end = cache.length(of: sequence) + tokens.count
            guard end <= config.maxPositionEmbeddings else {
                throw InputError("\(sequence) would reach \(end) positions, beyond max_position_embeddings \(config.maxPositionEmbeddings)", source: "token ids")
            }
        }
        // Memory first, so that a pass that cannot have it changes no sequence.
        try cache.makeRoom(for: requests.map { ($0.sequence, $0.tokens.count) })
        let longest = requests.map { cache.length(of: $0.sequence) + $0.tokens.count }.max() ?? 0
        let scores = PagedAttention.scratchCount(queryHeads: config.numAttentionHeads, length: longest, blockSize: cache.blockSize)
        try workspace.reserve(rows: requests.reduce(0) { $0 + $1.tokens.count }, scoresPerThread: scores, config: config)
        // Reserve cache slots and describe every row.
        var rows = Rows()
        for (sequence, tokens) in requests {
            let positions = try cache.appendPositions(to: sequence, count: tokens.count)
            let table = cache.blockTable(of: sequence)
            let firstBlock = rows.blockBases.count
            rows.blockBases.append(contentsOf: table.map(cache.base(of:)))
            for (token, position) in zip(tokens, positions) {
                rows.tokens.append(Int32(token))
                rows.positions.append(Int32(position))
                rows.firstBlock.append(firstBlock)
                rows.slots.append(table[position / cache.blockSize] * cache.blockSize + position % cache.blockSize)
            }
            rows.logitRows.append(rows.tokens.count - 1)
        }
        return forward(rows, UnsafePointer(model.parameters.baseAddress!))
    }

    /// The new tokens of one pass.
    private struct Rows {
        var tokens: [Int32] = []
        var positions: [Int32] = []
        /// Index into `blockBases` of the row's sequence's first block.
        var firstBlock: [Int] = []
        /// `block · blockSize + slot` where the row's key and value are stored.
        var slots: [Int] = []
        /// The base addresses of each request's blocks in position order, requests concatenated.
        var blockBases: [UnsafeMutablePointer<Float>] = []
        var logitRows: [Int] = []
    }

    private func forward(_ rows: Rows, _ w: UnsafePointer<Float>) -> [Float] {
        let c = config
        let n = rows.tokens.count
        let (hidden, inter) = (c.hiddenSize, c.intermediateSize)
        let ws = workspace
        rows.tokens.withUnsafeBufferPointer { tokens in
            Embedding.forward(output: ws.x, tokens: tokens.baseAddress!, table: w + model.layout["model.embed_tokens.weight"]!.offset,
                              count: n, width: hidden)
        }
        for (l, o) in layers.enumerated() {
            let p = packed[l]
            RMSNorm.forward(output: ws.h, rstd: ws.rstd, input: ws.x, weight: w + o.inputNorm, rows: n, width: hidden, eps: c.rmsNormEps)
            linear(output: ws.qkv, input: ws.h, weight: w + o.queryProjection, packed: p.queryKeyValue, rows: n)
            storeKeysAndValues(rows, layer: l, weights: o, w)
            attend(rows, layer: l)
            linear(output: ws.x, input: ws.attention, weight: w + o.outputProjection, packed: p.output, rows: n, accumulate: true)
            RMSNorm.forward(output: ws.h, rstd: ws.rstd, input: ws.x, weight: w + o.postAttentionNorm, rows: n, width: hidden, eps: c.rmsNormEps)
            linear(output: ws.gateUp, input: ws.h, weight: w + o.gateProjection, packed: p.gateUp, rows: n)
            Parallel.forEachChunk(n, minimumChunk: Self.rowsPerThread) { range in
                for r in range {
                    let gu = ws.gateUp + r * 2 * inter
                    SwiGLU.forward(output: ws.activation + r * inter, gate: gu, up: gu + inter, count: inter)
                }
            }
            linear(output: ws.x, input: ws.activation, weight: w + o.downProjection, packed: p.down, rows: n, accumulate: true)
        }
        // Final norm and LM head for the requested rows only.
        let m = rows.logitRows.count
        for (i, r) in rows.logitRows.enumerated() {
            (ws.h + i * hidden).update(from: ws.x + r * hidden, count: hidden)
        }
        RMSNorm.forward(output: ws.h, rstd: ws.rstd, input: ws.h, weight: w + model.layout["model.norm.weight"]!.offset,
                        rows: m, width: hidden, eps: c.rmsNormEps)
        var logits = [Float](repeating: 0, count: m * c.vocabSize)
        logits.withUnsafeMutableBufferPointer { out in
            linear(output: out.baseAddress!, input: ws.h, weight: w + model.layout.lmHeadOffset, packed: packedHead, rows: m)
        }
        return logits
    }

    /// `output (+)= input · Wᵀ` for a linear layer: few rows (decoding) through its packed copy,
    /// many (prefill) through `sgemm` on the parameters.
    private func linear(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        packed: PackedWeights, rows: Int, accumulate: Bool = false
    ) {
        if rows <= smallBatchLimit {
            packed.apply(output: output, input: input, rows: rows, accumulate: accumulate)
        } else {
            Linear.forward(output: output, input: input, weight: weight, rows: rows, inputWidth: packed.inputs,
                           outputWidth: packed.outputs, accumulate: accumulate)
        }
    }

    /// Per-head RMSNorm of q and k, rotary embedding of both, and the row's key and value
    /// written into its cache slot for `layer`.
    private func storeKeysAndValues(_ rows: Rows, layer: Int, weights o: LayerWeights, _ w: UnsafePointer<Float>) {
        let c = config, ws = workspace
        let (qW, kvW, d) = (c.queryWidth, c.keyValueWidth, c.headDim)
        let qkvW = c.queryKeyValueWidth
        let bs = cache.blockSize
        rows.positions.withUnsafeBufferPointer { positions in
            Parallel.forEachChunk(rows.tokens.count, minimumChunk: Self.rowsPerThread) { range in
                for r in range {
                    let q = ws.qkv + r * qkvW, k = q + qW, v = k + kvW
                    let rstd = ws.rstd + r * (c.numAttentionHeads + c.numKeyValueHeads)
                    RMSNorm.forward(output: q, rstd: rstd, input: q, weight: w + o.queryNorm, rows: c.numAttentionHeads, width: d, eps: c.rmsNormEps)
                    RMSNorm.forward(output: k, rstd: rstd, input: k, weight: w + o.keyNorm, rows: c.numKeyValueHeads, width: d, eps: c.rmsNormEps)
                    // q and k are adjacent heads of one row at the same position: rotate them together.
                    model.rotary.forward(q, positions: positions.baseAddress! + r, tokens: 1, heads: c.numAttentionHeads + c.numKeyValueHeads)
                    let slot = rows.slots[r]
                    cache.storeKey(k, layer: layer, block: slot / bs, slot: slot % bs)
                    cache.storeValue(v, layer: layer, block: slot / bs, slot: slot % bs)
                }
            }
        }
    }

    /// Decode attention for every row (`PagedAttention`); the threads take rows one at a time.
    private func attend(_ rows: Rows, layer: Int) {
        let c = config, ws = workspace
        let qW = c.queryWidth
        let qkvW = c.queryKeyValueWidth
        let (keyOffset, valueOffset) = (cache.keyOffset(layer: layer), cache.valueOffset(layer: layer))
        rows.blockBases.withUnsafeBufferPointer { bases in
            Parallel.forEachWorker(rows.tokens.count) { r, worker in
                let pages = PagedAttention.Pages(blocks: bases.baseAddress! + rows.firstBlock[r], keyOffset: keyOffset,
                                                 valueOffset: valueOffset, blockSize: cache.blockSize)
                PagedAttention.forward(
                    outputs: ws.attention + r * qW, queries: ws.qkv + r * qkvW, queryHeads: c.numAttentionHeads,
                    keyValueHeads: c.numKeyValueHeads, headDim: c.headDim, length: Int(rows.positions[r]) + 1,
                    pages: pages, scores: ws.scores + worker * ws.scoresPerThread)
            }
        }
    }
}

/// One decoder layer's linear weights packed for decoding: q|k|v and gate|up each as one matrix.
private struct PackedLayer {
    let queryKeyValue, output, gateUp, down: PackedWeights

    init(_ o: LayerWeights, config c: Qwen3Config, parameters w: UnsafePointer<Float>) throws {
        queryKeyValue = try PackedWeights(weight: w + o.queryProjection, outputs: c.queryKeyValueWidth, inputs: c.hiddenSize)
        output = try PackedWeights(weight: w + o.outputProjection, outputs: c.hiddenSize, inputs: c.queryWidth)
        gateUp = try PackedWeights(weight: w + o.gateProjection, outputs: 2 * c.intermediateSize, inputs: c.hiddenSize)
        down = try PackedWeights(weight: w + o.downProjection, outputs: c.hiddenSize, inputs: c.intermediateSize)
    }
}

/// Activation buffers of one pass, grown to the largest pass seen and reused.
private final class Workspace {
    private(set) var rows = 0
    /// Attention scratch floats per thread.
    private(set) var scoresPerThread = 0
    /// Allocated by the first `reserve`.
    private(set) var x: UnsafeMutablePointer<Float>!, h: UnsafeMutablePointer<Float>!, qkv: UnsafeMutablePointer<Float>!
    private(set) var attention: UnsafeMutablePointer<Float>!, gateUp: UnsafeMutablePointer<Float>!
    private(set) var activation: UnsafeMutablePointer<Float>!, rstd: UnsafeMutablePointer<Float>!, scores: UnsafeMutablePointer<Float>!

    /// Grows the buffers for `rows` rows; an `OutOfMemoryError` (buffers of the old size kept) when they do not fit.
    func reserve(rows: Int, scoresPerThread: Int, config c: Qwen3Config) throws {
        if rows > self.rows || x == nil {
            let grown = try [c.hiddenSize, c.hiddenSize, c.queryKeyValueWidth, c.queryWidth, 2 * c.intermediateSize,
                             c.intermediateSize, c.numAttentionHeads + c.numKeyValueHeads].map { width in
                try LargeAllocation.floats(rows * width, for: "the decoding workspace").baseAddress!
            }
            for p in [x, h, qkv, attention, gateUp, activation, rstd] { LargeAllocation.release(p) }
            (x, h, qkv, attention, gateUp, activation, rstd) = (grown[0], grown[1], grown[2], grown[3], grown[4], grown[5], grown[6])
            self.rows = rows
        }
        if scoresPerThread > self.scoresPerThread || scores == nil {
            let perThread = max(2 * self.scoresPerThread, scoresPerThread)
            let grown = try LargeAllocation.floats(Parallel.threadCount * perThread, for: "the attention scratch").baseAddress!
            LargeAllocation.release(scores)
            (scores, self.scoresPerThread) = (grown, perThread)
        }
    }

    deinit {
        for p in [x, h, qkv, attention, gateUp, activation, rstd, scores] { LargeAllocation.release(p) }
    }
}
