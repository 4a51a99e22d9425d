import AEPOKernels

/// Sizes of one batch of sequences packed back to back (no padding rows): `rows` tokens in all, `squares` the sum of
/// the squared sequence lengths (the attention probabilities' size per head), `targets` requested predictions.
struct BatchShape: Equatable {
    var rows: Int
    var squares: Int
    var targets: Int

    /// `sequences` sequences of `positions` tokens, every position a target.
    static func uniform(sequences: Int, positions: Int) -> BatchShape {
        BatchShape(rows: sequences * positions, squares: sequences * positions * positions, targets: sequences * positions)
    }
}

/// What one decoder layer's forward pass saves for its backward pass (pointers into a `FloatArena`).
struct LayerActivations {
    var input: UnsafeMutablePointer<Float>         // [rows, hidden] residual stream entering the layer
    var norm1: UnsafeMutablePointer<Float>         // [rows, hidden]
    var norm1Rstd: UnsafeMutablePointer<Float>     // [rows]
    /// [rows, (heads + 2·kvHeads)·headDim]: each row's q (before q_norm), k (before k_norm) and v,
    /// the output of the fused q|k|v projection.
    var projections: UnsafeMutablePointer<Float>
    var queryRstd: UnsafeMutablePointer<Float>     // [rows·heads]
    var keyRstd: UnsafeMutablePointer<Float>       // [rows·kvHeads]
    var query: UnsafeMutablePointer<Float>         // after q_norm and RoPE
    var key: UnsafeMutablePointer<Float>           // after k_norm and RoPE
    var probabilities: UnsafeMutablePointer<Float> // per sequence and head, [length, length] (`AttentionShape`)
    var attention: UnsafeMutablePointer<Float>     // [rows, heads·headDim] before o_proj
    var middle: UnsafeMutablePointer<Float>        // [rows, hidden] residual after attention
    var norm2: UnsafeMutablePointer<Float>
    var norm2Rstd: UnsafeMutablePointer<Float>
    var gate: UnsafeMutablePointer<Float>          // [rows, intermediate]
    var up: UnsafeMutablePointer<Float>
    var activated: UnsafeMutablePointer<Float>     // silu(gate) ⊙ up

    /// The floats `init` takes (in `Double`, so that an estimate for any shape cannot overflow).
    static func floatCount(_ c: Qwen3Config, _ s: BatchShape) -> Double {
        keptFloatCount(c, s) + workingFloatCount(c, s)
    }

    /// The floats of `input` and `middle`, what a layer keeps when its activations are recomputed: from them the
    /// backward pass recomputes the rest without the two products whose outputs it has (o_proj's, in `middle`) or does
    /// not need (down_proj's, the layer's output).
    static func keptFloatCount(_ c: Qwen3Config, _ s: BatchShape) -> Double { 2 * Double(s.rows) * Double(c.hiddenSize) }

    /// The floats of everything but `input` and `middle`, which layers whose activations are recomputed share.
    static func workingFloatCount(_ c: Qwen3Config, _ s: BatchShape) -> Double {
        let n = Double(s.rows)
        return n * Double(2 * c.hiddenSize + 3 * c.queryWidth + 3 * c.keyValueWidth + 3 * c.intermediateSize)
            + n * Double(2 + c.numAttentionHeads + c.numKeyValueHeads)
            + Double(c.numAttentionHeads) * Double(s.squares)
    }

    /// A layer's activations in `arena`; with `working`, only its `input` and `middle` are its own and the rest is
    /// `working`'s.
    init(_ c: Qwen3Config, _ s: BatchShape, arena: FloatArena, sharing working: LayerActivations? = nil) {
        let n = s.rows
        if let working {
            self = working
            input = arena.take(n * c.hiddenSize)
            middle = arena.take(n * c.hiddenSize)
            return
        }
        input = arena.take(n * c.hiddenSize)
        norm1 = arena.take(n * c.hiddenSize)
        norm1Rstd = arena.take(n)
        projections = arena.take(n * c.queryKeyValueWidth)
        queryRstd = arena.take(n * c.numAttentionHeads)
        keyRstd = arena.take(n * c.numKeyValueHeads)
        query = arena.take(n * c.queryWidth)
        key = arena.take(n * c.keyValueWidth)
        probabilities = arena.take(c.numAttentionHeads * s.squares)
        attention = arena.take(n * c.queryWidth)
        middle = arena.take(n * c.hiddenSize)
        norm2 = arena.take(n * c.hiddenSize)
        norm2Rstd = arena.take(n)
        gate = arena.take(n * c.intermediateSize)
        up = arena.take(n * c.intermediateSize)
        activated = arena.take(n * c.intermediateSize)
    }
}

/// Everything a forward pass saves: per-layer activations, the final norm, and the LM-head inputs
/// and per-target statistics at the requested positions. Rows are the batch's tokens, sequence after sequence.
struct Activations {
    var shape: BatchShape
    /// The sequences' lengths and first rows, and the attention's head layout.
    var attention: AttentionShape
    var tokens: [Int32]      // [rows]
    var positions: [Int32]   // [rows], t within its sequence
    var targetRows: [Int32]  // [targets], row index starts[b] + t of each target
    var targetTokens: [Int32]
    var layers: [LayerActivations]
    var output: UnsafeMutablePointer<Float>        // [rows, hidden] residual after the last layer
    var finalNorm: UnsafeMutablePointer<Float>     // [rows, hidden]
    var finalNormRstd: UnsafeMutablePointer<Float> // [rows]
    var gathered: UnsafeMutablePointer<Float>      // [targets, hidden] final-norm rows at the targets
    var logits: UnsafeMutablePointer<Float>        // [chunkRows, vocab]
    var chunkRows: Int
    /// True when every target's logits fit in one chunk and were kept for the backward pass.
    var logitsRetained: Bool
    /// `1/T` applied to the LM head's output before the log-softmax (1: untempered).
    var logitScale: Float = 1
    var logNormalizers: UnsafeMutablePointer<Float> // [targets]
    /// `−∂log p_t/∂hidden = s·(p − e_t)·W` at each target (`s = logitScale`, W the LM head), when the forward prepared
    /// the backward pass of a frozen head from each chunk of logits (`Qwen3Model.forward`'s `preparingLogProbGradient`).
    var headGradients: UnsafeMutablePointer<Float>? // [targets, hidden]
    var logProbs: UnsafeMutablePointer<Float>
    var entropies: UnsafeMutablePointer<Float>
    /// The adapter's activations, when the pass ran with one.
    var adapter: LoRAActivations?
    /// True when the layers keep only their inputs and their residuals after attention and share the rest, which the
    /// backward pass recomputes layer by layer (activation checkpointing).
    var recomputed: Bool

    /// The floats `init` takes from its arena (in `Double`, like `LayerActivations.floatCount`).
    static func floatCount(_ c: Qwen3Config, _ s: BatchShape, chunkRows: Int, recomputed: Bool = false,
                           headGradients: Bool = false) -> Double {
        let layers = recomputed
            ? Double(c.numHiddenLayers) * LayerActivations.keptFloatCount(c, s) + LayerActivations.workingFloatCount(c, s)
            : Double(c.numHiddenLayers) * LayerActivations.floatCount(c, s)
        return layers
            + Double(s.rows) * Double(2 * c.hiddenSize + 1)
            + Double(s.targets) * Double((headGradients ? 2 : 1) * c.hiddenSize + 3)
            + Double(chunkRows) * Double(c.vocabSize)
    }

    /// Whether a forward pass with a frozen LM head prepares its backward pass in `headGradients`: when asked to, and
    /// when its logits come in more than one chunk (kept logits already spare the backward pass their recomputation).
    static func preparesHeadGradients(requested: Bool, frozenHead: Bool, targets: Int, chunkRows: Int) -> Bool {
        requested && frozenHead && targets > chunkRows
    }

    /// The scratch floats `Qwen3Model.backward` takes beyond the saved activations.
    static func backwardScratchCount(_ c: Qwen3Config, _ s: BatchShape) -> Double {
        Double(s.rows) * Double(3 * c.hiddenSize + 2 * c.queryWidth + c.keyValueWidth + c.queryKeyValueWidth + 3 * c.intermediateSize)
            + Double(c.numKeyValueHeads) * Double(s.squares)  // AttentionShape.backwardScratchCount
            + Double(s.targets) * Double(c.hiddenSize)
    }

    /// Lays out a forward pass's activations in `arena`, all of every layer's or (`recomputed`) their inputs and
    /// residuals after attention and one shared set of the rest (an `OutOfMemoryError` when they do not fit), with room
    /// for `headGradients` when asked.
    init(_ c: Qwen3Config, _ batch: TokenBatch, chunkRows: Int, recomputed: Bool = false, headGradients: Bool = false,
         arena: FloatArena) throws {
        attention = AttentionShape(lengths: batch.sequences.map(\.count), heads: c.numAttentionHeads, kvHeads: c.numKeyValueHeads,
                                   headDim: c.headDim, valueStride: c.queryKeyValueWidth)
        shape = BatchShape(rows: attention.rows, squares: attention.squares, targets: batch.targets.count)
        tokens = batch.sequences.flatMap { $0.map(Int32.init) }
        positions = batch.sequences.flatMap { (0..<$0.count).map(Int32.init) }
        let starts = attention.starts
        targetRows = batch.targets.map { Int32(starts[$0.sequence] + $0.position) }
        targetTokens = batch.targets.map { Int32($0.token) }
        self.chunkRows = max(1, min(chunkRows, shape.targets))
        logitsRetained = shape.targets <= chunkRows
        self.recomputed = recomputed
        try arena.reset(reserving: Int(Activations.floatCount(c, shape, chunkRows: self.chunkRows, recomputed: recomputed,
                                                              headGradients: headGradients)))
        let shape = shape
        var layers: [LayerActivations] = []
        for _ in 0..<c.numHiddenLayers {
            layers.append(LayerActivations(c, shape, arena: arena, sharing: recomputed ? layers.first : nil))
        }
        self.layers = layers
        output = arena.take(shape.rows * c.hiddenSize)
        finalNorm = arena.take(shape.rows * c.hiddenSize)
        finalNormRstd = arena.take(shape.rows)
        gathered = arena.take(shape.targets * c.hiddenSize)
        logits = arena.take(self.chunkRows * c.vocabSize)
        logNormalizers = arena.take(shape.targets)
        self.headGradients = headGradients ? arena.take(shape.targets * c.hiddenSize) : nil
        logProbs = arena.take(shape.targets)
        entropies = arena.take(shape.targets)
    }
}
