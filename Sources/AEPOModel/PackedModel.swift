import AEPOKernels

/// A model's linear weights packed for decoding (`PackedWeights`, in the parameters' own type: bfloat16 stays
/// bfloat16): per decoder layer q|k|v and gate|up each as one matrix, o_proj and down_proj, and the LM head. Packed
/// once, it is shared by every engine over the same base (`InferenceEngine.init(packed:adapter:)`), each with its own
/// KV cache and LoRA adapter, which the engines apply unmerged: a LoRA run packs its frozen base once for all its
/// steps, and `aepo serve`'s adapters share the base engine's copy.
///
/// The copy is a snapshot of the parameters: pack again after changing them (a full fine-tuning's update). It is only
/// read once made.
public final class PackedModel {
    /// The model whose parameters were packed; engines read its embedding and norm weights.
    public let model: Qwen3Model
    let layers: [Layer]
    let head: EngineWeight
    /// The bytes of the packed weights (half as many for bfloat16 parameters).
    public let byteCount: Int

    /// One decoder layer: where its weights lie in the parameters, and its linear weights packed.
    struct Layer {
        let offsets: LayerWeights
        let queryKeyValue, output, gateUp, down: EngineWeight

        var weights: [EngineWeight] { [queryKeyValue, output, gateUp, down] }
    }

    /// Packs `model`'s current parameters (its adapter, if any, is not merged: engines apply it); an
    /// `OutOfMemoryError` when they do not fit.
    public init(model: Qwen3Model) throws {
        let c = model.config, w = model.matrix(0)
        self.model = model
        // The model has checked that q|k|v and gate|up are adjacent (`LayerWeights.fusesProjections`).
        layers = try (0..<c.numHiddenLayers).map { l in
            let o = LayerWeights(layer: l, layout: model.layout)
            return Layer(
                offsets: o,
                queryKeyValue: try EngineWeight(weight: w + o.queryProjection,
                                                modules: [(.query, c.queryWidth), (.key, c.keyValueWidth), (.value, c.keyValueWidth)],
                                                inputs: c.hiddenSize),
                output: try EngineWeight(weight: w + o.outputProjection, modules: [(.output, c.hiddenSize)], inputs: c.queryWidth),
                gateUp: try EngineWeight(weight: w + o.gateProjection, modules: [(.gate, c.intermediateSize), (.up, c.intermediateSize)],
                                         inputs: c.hiddenSize),
                down: try EngineWeight(weight: w + o.downProjection, modules: [(.down, c.hiddenSize)], inputs: c.intermediateSize))
        }
        head = try EngineWeight(weight: w + model.layout.lmHeadOffset, outputs: c.vocabSize, inputs: c.hiddenSize)
        byteCount = layers.reduce(head.packed.byteCount) { total, layer in
            total + layer.weights.reduce(0) { $0 + $1.packed.byteCount }
        }
    }
}
