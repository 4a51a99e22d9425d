/// Where each named parameter tensor lives inside one contiguous float buffer.
///
/// Names and shapes are exactly those of Hugging Face's `Qwen3ForCausalLM` state dict
/// (row-major, `[out, in]` for linear weights), so checkpoints map one to one. Keeping every
/// parameter (and every gradient) in one buffer makes the optimizer, gradient clipping and
/// checkpointing loops over a single array, as in llm.c.
public struct ParameterLayout: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public var name: String
        public var shape: [Int]
        public var offset: Int
        public var count: Int { shape.reduce(1, *) }
    }

    public let entries: [Entry]
    public let totalCount: Int
    private let index: [String: Int]

    public init(config c: Qwen3Config) {
        var entries: [Entry] = []
        var offset = 0
        func add(_ name: String, _ shape: [Int]) {
            entries.append(Entry(name: name, shape: shape, offset: offset))
            offset += shape.reduce(1, *)
        }
        add("model.embed_tokens.weight", [c.vocabSize, c.hiddenSize])
        for l in 0..<c.numHiddenLayers {
            let p = "model.layers.\(l)."
            add(p + "input_layernorm.weight", [c.hiddenSize])
            add(p + "self_attn.q_proj.weight", [c.queryWidth, c.hiddenSize])
            add(p + "self_attn.k_proj.weight", [c.keyValueWidth, c.hiddenSize])
            add(p + "self_attn.v_proj.weight", [c.keyValueWidth, c.hiddenSize])
            add(p + "self_attn.q_norm.weight", [c.headDim])
            add(p + "self_attn.k_norm.weight", [c.headDim])
            add(p + "self_attn.o_proj.weight", [c.hiddenSize, c.queryWidth])
            add(p + "post_attention_layernorm.weight", [c.hiddenSize])
            add(p + "mlp.gate_proj.weight", [c.intermediateSize, c.hiddenSize])
            add(p + "mlp.up_proj.weight", [c.intermediateSize, c.hiddenSize])
            add(p + "mlp.down_proj.weight", [c.hiddenSize, c.intermediateSize])
        }
        add("model.norm.weight", [c.hiddenSize])
        if !c.tieWordEmbeddings {
            add("lm_head.weight", [c.vocabSize, c.hiddenSize])
        }
        self.entries = entries
        self.totalCount = offset
        self.index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, $0) })
    }

    public subscript(name: String) -> Entry? {
        index[name].map { entries[$0] }
    }

    /// Offset of the LM head weight: `lm_head.weight`, or the embedding when tied.
    public var lmHeadOffset: Int {
        (self["lm_head.weight"] ?? self["model.embed_tokens.weight"]!).offset
    }
}
