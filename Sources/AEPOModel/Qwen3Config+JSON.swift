import AEPOCore
import Foundation

/// Reading and writing Hugging Face's `config.json` for `Qwen3ForCausalLM`.
///
/// Both spellings of the rotary base are read: `rope_theta` at the top level (transformers < 5) or
/// `rope_parameters: {"rope_type": "default", "rope_theta": …}` (transformers ≥ 5); if both are present
/// they must agree. `torch_dtype`/`dtype` are ignored (parameters are always float32 in memory).
/// Required keys: `model_type` (= "qwen3"), `vocab_size`, `hidden_size`, `intermediate_size`,
/// `num_hidden_layers`, `num_attention_heads`, `num_key_value_heads`, `rms_norm_eps` and the rotary base.
/// The others default as in transformers: `head_dim` = hidden / heads, `tie_word_embeddings` false,
/// `max_position_embeddings` 32768, `initializer_range` 0.02, no bos/eos.
/// Sizes are bounded (`Qwen3Config.maximum…`: hidden ≤ 2¹⁶, intermediate ≤ 2¹⁸, vocabulary ≤ 2²², heads ≤ 2¹⁰,
/// head_dim ≤ 2¹², layers ≤ 2¹⁰, positions ≤ 2²⁴: far above any released Qwen3) so that parameter counts cannot overflow.
/// Features this engine does not implement are refused, never silently ignored: sliding-window
/// attention, rope scaling, attention biases, activations other than SiLU, non-full-attention layers.
extension Qwen3Config {
    /// Reads and validates `config.json` at `url`.
    public static func load(from url: URL) throws -> Qwen3Config {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw InputError("cannot read file", source: url.path)
        }
        return try Qwen3Config(json: data, source: url.path)
    }

    /// Parses and validates the bytes of a `config.json`; `source` names it in errors.
    public init(json data: Data, source: String) throws {
        let keys = try ConfigKeys(json: data, source: source)

        let modelType = try keys.string("model_type")
        guard modelType == "qwen3" else {
            throw keys.error("model_type", "unsupported model type '\(modelType)', expected 'qwen3'")
        }
        if try keys.optionalBool("use_sliding_window") == true {
            throw keys.error("use_sliding_window", "sliding-window attention is not supported")
        }
        if try keys.optionalBool("attention_bias") == true {
            throw keys.error("attention_bias", "attention biases are not supported (Qwen3 has none)")
        }
        if let act = try keys.optionalString("hidden_act"), act != "silu" {
            throw keys.error("hidden_act", "unsupported activation '\(act)', expected 'silu'")
        }
        if let scaling = keys.object["rope_scaling"], scaling != .null {
            guard let fields = scaling.objectValue else {
                throw keys.error("rope_scaling", "expected an object or null, found \(scaling.typeName)")
            }
            let type = fields["rope_type"]?.stringValue ?? fields["type"]?.stringValue
            guard type == "default" else {
                throw keys.error("rope_scaling", "rope scaling '\(type ?? "?")' is not supported (only 'default')")
            }
        }

        let layers = try keys.positiveInt("num_hidden_layers", atMost: Qwen3Config.maximumLayers)
        if let types = keys.object["layer_types"], types != .null {
            guard let list = types.arrayValue else {
                throw keys.error("layer_types", "expected an array, found \(types.typeName)")
            }
            for (i, type) in list.enumerated() where type.stringValue != "full_attention" {
                throw keys.error("layer_types", "layer \(i) is '\(type.stringValue ?? type.typeName)'; only 'full_attention' is supported")
            }
            guard list.count == layers else {
                throw keys.error("layer_types", "has \(list.count) entries for \(layers) layers")
            }
        }

        // The rotary base: top level, inside rope_parameters, or both (then equal).
        var theta = try keys.optionalDouble("rope_theta")
        if let parameters = keys.object["rope_parameters"], parameters != .null {
            guard let fields = parameters.objectValue else {
                throw keys.error("rope_parameters", "expected an object, found \(parameters.typeName)")
            }
            let nested = ConfigKeys(object: fields, source: source, prefix: "rope_parameters.")
            if let type = try nested.optionalString("rope_type"), type != "default" {
                throw nested.error("rope_type", "rope type '\(type)' is not supported (only 'default')")
            }
            if let inner = try nested.optionalDouble("rope_theta") {
                if let outer = theta, outer != inner {
                    throw nested.error("rope_theta", "\(inner) disagrees with top-level rope_theta \(outer)")
                }
                theta = inner
            }
        }
        guard let ropeTheta = theta else {
            throw keys.error("rope_theta", "missing required key (top level or in rope_parameters)")
        }
        guard ropeTheta > 0, ropeTheta.isFinite else { throw keys.error("rope_theta", "must be positive, got \(ropeTheta)") }

        let hidden = try keys.positiveInt("hidden_size", atMost: Qwen3Config.maximumHiddenSize)
        let heads = try keys.positiveInt("num_attention_heads", atMost: Qwen3Config.maximumHeads)
        let kvHeads = try keys.positiveInt("num_key_value_heads", atMost: Qwen3Config.maximumHeads)
        guard heads % kvHeads == 0 else {
            throw keys.error("num_key_value_heads", "\(heads) attention heads are not divisible by \(kvHeads) key-value heads")
        }
        let headDim: Int
        if keys.object["head_dim"] == nil || keys.object["head_dim"] == .null {
            guard hidden % heads == 0 else {
                throw keys.error("head_dim", "absent, and hidden_size \(hidden) is not divisible by \(heads) heads")
            }
            headDim = hidden / heads
        } else {
            headDim = try keys.positiveInt("head_dim", atMost: Qwen3Config.maximumHeadDim)
        }
        let eps = try keys.double("rms_norm_eps")
        guard eps > 0, Float(eps) > 0, Float(eps).isFinite else { throw keys.error("rms_norm_eps", "must be positive, got \(eps)") }
        let initializerRange = try keys.optionalDouble("initializer_range") ?? 0.02
        guard initializerRange >= 0, initializerRange.isFinite else {
            throw keys.error("initializer_range", "must be non-negative, got \(initializerRange)")
        }

        self.init(
            vocabSize: try keys.positiveInt("vocab_size", atMost: Qwen3Config.maximumVocabularySize),
            hiddenSize: hidden,
            intermediateSize: try keys.positiveInt("intermediate_size", atMost: Qwen3Config.maximumIntermediateSize),
            numHiddenLayers: layers,
            numAttentionHeads: heads,
            numKeyValueHeads: kvHeads,
            headDim: headDim,
            rmsNormEps: Float(eps),
            ropeTheta: ropeTheta,
            maxPositionEmbeddings: try keys.optionalPositiveInt("max_position_embeddings", atMost: Qwen3Config.maximumPositions) ?? 32768,
            tieWordEmbeddings: try keys.optionalBool("tie_word_embeddings") ?? false,
            initializerRange: Float(initializerRange),
            bosTokenID: try keys.optionalTokenID("bos_token_id"),
            eosTokenID: try keys.optionalTokenID("eos_token_id")
        )
    }

    /// A `config.json` that transformers 4.51+ and 5.x both load: the rotary base is written both at
    /// the top level and in `rope_parameters`; keys sorted, two-space indent.
    public func jsonData() -> Data {
        let theta = JSONValue.number(ropeTheta)
        let object: [String: JSONValue] = [
            "architectures": .array([.string("Qwen3ForCausalLM")]),
            "attention_bias": .bool(false),
            "attention_dropout": .number(0),
            "bos_token_id": bosTokenID.map(JSONValue.integer) ?? .null,
            "eos_token_id": eosTokenID.map(JSONValue.integer) ?? .null,
            "head_dim": .integer(headDim),
            "hidden_act": .string("silu"),
            "hidden_size": .integer(hiddenSize),
            "initializer_range": .number(Qwen3Config.shortestDouble(initializerRange)),
            "intermediate_size": .integer(intermediateSize),
            "layer_types": .array(Array(repeating: .string("full_attention"), count: numHiddenLayers)),
            "max_position_embeddings": .integer(maxPositionEmbeddings),
            "max_window_layers": .integer(numHiddenLayers),
            "model_type": .string("qwen3"),
            "num_attention_heads": .integer(numAttentionHeads),
            "num_hidden_layers": .integer(numHiddenLayers),
            "num_key_value_heads": .integer(numKeyValueHeads),
            "rms_norm_eps": .number(Qwen3Config.shortestDouble(rmsNormEps)),
            "rope_parameters": .object(["rope_theta": theta, "rope_type": .string("default")]),
            "rope_theta": theta,
            "sliding_window": .null,
            "tie_word_embeddings": .bool(tieWordEmbeddings),
            "torch_dtype": .string("float32"),
            "use_cache": .bool(true),
            "use_sliding_window": .bool(false),
            "vocab_size": .integer(vocabSize),
        ]
        return Data((JSONValue.object(object).serialized(indent: 2) + "\n").utf8)
    }

    /// A `generation_config.json` carrying the bos/eos token ids when they are known.
    public func generationConfigJSONData() -> Data {
        var object: [String: JSONValue] = ["_from_model_config": .bool(true), "use_cache": .bool(true)]
        if let bosTokenID { object["bos_token_id"] = .integer(bosTokenID) }
        if let eosTokenID { object["eos_token_id"] = .integer(eosTokenID) }
        return Data((JSONValue.object(object).serialized(indent: 2) + "\n").utf8)
    }

    /// The double whose shortest decimal form equals the float's (1e-06, not 9.99999997e-07), so a
    /// float written and read back is unchanged and the file shows the value the user gave.
    private static func shortestDouble(_ value: Float) -> Double {
        Double("\(value)") ?? Double(value)
    }
}
