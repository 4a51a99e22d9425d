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
/// A call over more than `maxTokensPerPass` tokens (long prompts, or many at once) runs as several passes of nearly
/// equal size, in order, a prompt split between passes where the budget falls (chunked prefill, as vLLM's
/// `max_num_batched_tokens`): each pass stores its keys and values before the next attends over them, so every row
/// reads the same cache entries and takes the same products as in one pass, and the workspace holds one pass.
///
/// The linear weights are those of a `PackedModel`, which engines over the same base share. A LoRA adapter is applied
/// unmerged, as the training forward applies it: each adapted module adds `s · (x · Aᵀ) · Bᵀ` to its slice of the
/// product (q, k or v inside q|k|v, gate or up inside gate|up), with A and B read from the adapter's parameters on every
/// pass, so an engine sees the adapter's optimizer updates as they happen. The base is a snapshot: create a new engine
/// (over a new `PackedModel`) after changing the base parameters.
///
/// Not thread-safe; one engine per sampling loop.
public final class InferenceEngine {
    /// The base's packed weights, possibly shared with other engines.
    public let packed: PackedModel
    /// The LoRA adapter applied over the base, if any.
    public let adapter: LoRAAdapter?
    public let cache: KVCache
    /// The model whose parameters passes read (the packed weights are a copy of its linear weights).
    public var model: Qwen3Model { packed.model }
    public var config: Qwen3Config { model.config }

    /// Tokens run through the model, split by the call that ran them, and the forward passes that ran them.
    public struct Statistics: Equatable, Sendable {
        public var prefillTokens = 0
        public var decodedTokens = 0
        public var passes = 0
    }
    public private(set) var statistics = Statistics()

    /// The most tokens one forward pass runs (positive; vLLM's `max_num_batched_tokens`); a call over more runs in
    /// `⌈tokens / maxTokensPerPass⌉` passes.
    public var maxTokensPerPass: Int {
        didSet { precondition(maxTokensPerPass > 0, "a pass must run at least one token") }
    }
    /// 2,048 tokens (vLLM's chunked-prefill default): at Qwen3-0.6B's shape a workspace of 143 MB, and enough rows that
    /// the products run at the GEMM's full speed.
    public static let defaultMaxTokensPerPass = 2048
    /// Positions per KV cache block.
    public static let defaultBlockSize = 16

    private let workspace: Workspace
    /// Row-wise elementwise work (norms, rotary, SwiGLU) is only split over threads beyond this
    /// many rows per thread: a decode step's 16 rows take less time than waking a thread.
    private static let rowsPerThread = 64

    /// An engine over `model`'s current parameters, packed for it alone, with the model's adapter (if any) applied
    /// unmerged, whose cache stores keys and values as `kvCacheDataType`, running at most `maxTokensPerPass` tokens a pass;
    /// an `OutOfMemoryError` when its packed weights or cache do not fit.
    public convenience init(model: Qwen3Model, blockSize: Int = InferenceEngine.defaultBlockSize, kvCacheDataType: KVCacheDataType = .float32,
                            maxTokensPerPass: Int = InferenceEngine.defaultMaxTokensPerPass) throws {
        try self.init(packed: try PackedModel(model: model), adapter: model.adapter, blockSize: blockSize,
                      kvCacheDataType: kvCacheDataType, maxTokensPerPass: maxTokensPerPass)
    }

    /// An engine over the packed base `packed` (shared, not copied) with `adapter` applied unmerged in place of the
    /// model's own adapter (`nil`: the base alone): engines for several adapters of one base each hold only their KV
    /// cache and workspace.
    public init(packed: PackedModel, adapter: LoRAAdapter?, blockSize: Int = InferenceEngine.defaultBlockSize,
                kvCacheDataType: KVCacheDataType = .float32, maxTokensPerPass: Int = InferenceEngine.defaultMaxTokensPerPass) throws {
        let c = packed.model.config
        precondition(adapter == nil || adapter!.model == c, "the adapter was made for a model of another shape")
        precondition(maxTokensPerPass > 0, "a pass must run at least one token")
        self.packed = packed
        self.adapter = adapter
        self.maxTokensPerPass = maxTokensPerPass
        self.cache = try KVCache(config: c, blockSize: blockSize, dataType: kvCacheDataType)
        workspace = Workspace(rank: adapter?.config.rank ?? 0)
    }

    /// The bytes of the packed weights (half as many for bfloat16 parameters, with an adapter or without), shared with
    /// the other engines over `packed`.
    public var packedWeightBytes: Int { packed.byteCount }

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
        precondition(Set(requests.map(\.sequence)).count == requests.count, "a sequence appears twice in one call")
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
        // Memory first, so that a call that cannot have it changes no sequence.
        try cache.makeRoom(for: requests.map { ($0.sequence, $0.tokens.count) })
        let total = requests.reduce(0) { $0 + $1.tokens.count }
        let passes = (total - 1) / maxTokensPerPass + 1
        let rowsPerPass = (total - 1) / passes + 1
        let longest = requests.map { cache.length(of: $0.sequence) + $0.tokens.count }.max() ?? 0
        let scores = PagedAttention.scratchCount(queryHeads: config.numAttentionHeads, length: longest, blockSize: cache.blockSize)
        try workspace.reserve(rows: rowsPerPass, scoresPerThread: scores, config: config)
        // Fill passes of `rowsPerPass` rows with the requests' tokens in order, reserving cache slots as they go.
        let vocabulary = config.vocabSize
        var logits = [Float](repeating: 0, count: requests.count * vocabulary)
        var rows = Rows(), finished: [Int] = []
        func runPass() {
            let passLogits = forward(rows)
            statistics.passes += 1
            for (i, request) in finished.enumerated() {
                logits[request * vocabulary ..< (request + 1) * vocabulary] = passLogits[i * vocabulary ..< (i + 1) * vocabulary]
            }
            (rows, finished) = (Rows(), [])
        }
        for (index, (sequence, tokens)) in requests.enumerated() {
            var start = 0
            while start < tokens.count {
                let piece = tokens[start ..< min(tokens.count, start + rowsPerPass - rows.tokens.count)]
                try rows.append(piece, to: sequence, in: cache)
                start += piece.count
                if start == tokens.count {
                    rows.logitRows.append(rows.tokens.count - 1)
                    finished.append(index)
                }
                if rows.tokens.count == rowsPerPass { runPass() }
            }
        }
        if !rows.tokens.isEmpty { runPass() }
        return logits
    }

    /// The new tokens of one pass.
    private struct Rows {
        var tokens: [Int32] = []
        var positions: [Int32] = []
        /// Index into `blockBases` of the row's sequence's first block.
        var firstBlock: [Int] = []
        /// `block · blockSize + slot` where the row's key and value are stored.
        var slots: [Int] = []
        /// The base addresses of each sequence's blocks in position order, sequences concatenated.
        var blockBases: [UnsafeMutableRawPointer] = []
        /// The rows whose logits are returned, in order.
        var logitRows: [Int] = []

        /// Reserves `tokens`' positions at the end of `sequence` (which has room: `KVCache.makeRoom`) and describes their rows.
        mutating func append(_ tokens: ArraySlice<Int>, to sequence: SequenceID, in cache: KVCache) throws {
            let positions = try cache.appendPositions(to: sequence, count: tokens.count)
            let table = cache.blockTable(of: sequence)
            let first = blockBases.count
            blockBases.append(contentsOf: table.map(cache.base(of:)))
            for (token, position) in zip(tokens, positions) {
                self.tokens.append(Int32(token))
                self.positions.append(Int32(position))
                firstBlock.append(first)
                slots.append(table[position / cache.blockSize] * cache.blockSize + position % cache.blockSize)
            }
        }
    }

    private func forward(_ rows: Rows) -> [Float] {
        let c = config
        let n = rows.tokens.count
        let (hidden, inter) = (c.hiddenSize, c.intermediateSize)
        let ws = workspace
        rows.tokens.withUnsafeBufferPointer { tokens in
            Embedding.forward(output: ws.x, tokens: tokens.baseAddress!, table: model.matrix(model.layout["model.embed_tokens.weight"]!.offset),
                              count: n, width: hidden)
        }
        for (l, p) in packed.layers.enumerated() {
            let o = p.offsets
            /// `output (+)= input · Wᵀ` and the adapter's modules of the layer that `weight` holds.
            func multiply(_ weight: EngineWeight, output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                          accumulate: Bool = false) {
                weight.apply(output: output, input: input, rows: n, accumulate: accumulate)
                if let adapter { weight.addAdapter(adapter, layer: l, output: output, input: input, rows: n, projected: ws.projected) }
            }
            RMSNorm.forward(output: ws.h, rstd: ws.rstd, input: ws.x, weight: model.vector(o.inputNorm), rows: n, width: hidden, eps: c.rmsNormEps)
            multiply(p.queryKeyValue, output: ws.qkv, input: ws.h)
            storeKeysAndValues(rows, layer: l, weights: o)
            attend(rows, layer: l)
            multiply(p.output, output: ws.x, input: ws.attention, accumulate: true)
            RMSNorm.forward(output: ws.h, rstd: ws.rstd, input: ws.x, weight: model.vector(o.postAttentionNorm), rows: n, width: hidden, eps: c.rmsNormEps)
            multiply(p.gateUp, output: ws.gateUp, input: ws.h)
            Parallel.forEachChunk(n, minimumChunk: Self.rowsPerThread) { range in
                for r in range {
                    let gu = ws.gateUp + r * 2 * inter
                    SwiGLU.forward(output: ws.activation + r * inter, gate: gu, up: gu + inter, count: inter)
                }
            }
            multiply(p.down, output: ws.x, input: ws.activation, accumulate: true)
        }
        // Final norm and LM head for the requested rows only.
        let m = rows.logitRows.count
        for (i, r) in rows.logitRows.enumerated() {
            (ws.h + i * hidden).update(from: ws.x + r * hidden, count: hidden)
        }
        RMSNorm.forward(output: ws.h, rstd: ws.rstd, input: ws.h, weight: model.vector(model.layout["model.norm.weight"]!.offset),
                        rows: m, width: hidden, eps: c.rmsNormEps)
        var logits = [Float](repeating: 0, count: m * c.vocabSize)
        logits.withUnsafeMutableBufferPointer { out in
            packed.head.apply(output: out.baseAddress!, input: ws.h, rows: m)
        }
        return logits
    }

    /// Per-head RMSNorm of q and k, rotary embedding of both, and the row's key and value
    /// written into its cache slot for `layer`.
    private func storeKeysAndValues(_ rows: Rows, layer: Int, weights o: LayerWeights) {
        let c = config, ws = workspace
        let (queryNorm, keyNorm) = (model.vector(o.queryNorm), model.vector(o.keyNorm))
        let (qW, kvW, d) = (c.queryWidth, c.keyValueWidth, c.headDim)
        let qkvW = c.queryKeyValueWidth
        let bs = cache.blockSize
        rows.positions.withUnsafeBufferPointer { positions in
            Parallel.forEachChunk(rows.tokens.count, minimumChunk: Self.rowsPerThread) { range in
                for r in range {
                    let q = ws.qkv + r * qkvW, k = q + qW, v = k + kvW
                    let rstd = ws.rstd + r * (c.numAttentionHeads + c.numKeyValueHeads)
                    RMSNorm.forward(output: q, rstd: rstd, input: q, weight: queryNorm, rows: c.numAttentionHeads, width: d, eps: c.rmsNormEps)
                    RMSNorm.forward(output: k, rstd: rstd, input: k, weight: keyNorm, rows: c.numKeyValueHeads, width: d, eps: c.rmsNormEps)
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
        rows.blockBases.withUnsafeBufferPointer { bases in
            Parallel.forEachWorker(rows.tokens.count) { r, worker in
                let pages = cache.pages(layer: layer, blocks: bases.baseAddress! + rows.firstBlock[r])
                PagedAttention.forward(
                    outputs: ws.attention + r * qW, queries: ws.qkv + r * qkvW, queryHeads: c.numAttentionHeads,
                    keyValueHeads: c.numKeyValueHeads, headDim: c.headDim, length: Int(rows.positions[r]) + 1,
                    pages: pages, scores: ws.scores + worker * ws.scoresPerThread)
            }
        }
    }
}

/// Activation buffers of one pass, grown to the largest pass seen and reused.
private final class Workspace {
    /// The adapter's rank (0 without one).
    let rank: Int
    private(set) var rows = 0
    /// Attention scratch floats per thread.
    private(set) var scoresPerThread = 0
    /// Allocated by the first `reserve`.
    private(set) var x: UnsafeMutablePointer<Float>!, h: UnsafeMutablePointer<Float>!, qkv: UnsafeMutablePointer<Float>!
    private(set) var attention: UnsafeMutablePointer<Float>!, gateUp: UnsafeMutablePointer<Float>!
    private(set) var activation: UnsafeMutablePointer<Float>!, rstd: UnsafeMutablePointer<Float>!, scores: UnsafeMutablePointer<Float>!
    /// An adapted module's `x · Aᵀ`, `rows × rank`.
    private(set) var projected: UnsafeMutablePointer<Float>!

    init(rank: Int) {
        self.rank = rank
    }

    /// Grows the buffers for `rows` rows; an `OutOfMemoryError` (buffers of the old size kept) when they do not fit.
    func reserve(rows: Int, scoresPerThread: Int, config c: Qwen3Config) throws {
        if rows > self.rows || x == nil {
            let grown = try [c.hiddenSize, c.hiddenSize, c.queryKeyValueWidth, c.queryWidth, 2 * c.intermediateSize,
                             c.intermediateSize, c.numAttentionHeads + c.numKeyValueHeads, rank].map { width in
                try LargeAllocation.floats(rows * width, for: "the decoding workspace").baseAddress!
            }
            for p in [x, h, qkv, attention, gateUp, activation, rstd, projected] { LargeAllocation.release(p) }
            (x, h, qkv, attention, gateUp, activation, rstd) = (grown[0], grown[1], grown[2], grown[3], grown[4], grown[5], grown[6])
            projected = grown[7]
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
        for p in [x, h, qkv, attention, gateUp, activation, rstd, projected, scores] { LargeAllocation.release(p) }
    }
}
