import Foundation

extension Checkpoint {
    /// Merges the PEFT adapter in `directory` (`PEFTAdapterFormat`) into the weights: every adapted `W` becomes
    /// `W + s · B · A`, so that the checkpoint alone computes what its base and the adapter compute.
    public mutating func mergeAdapter(at directory: URL) throws {
        let adapter = try PEFTAdapterFormat.load(directory: directory, model: config)
        parameters.withUnsafeMutableBufferPointer { adapter.merge(into: $0) }
    }

    /// The model in `directory` to run without training it (serving, evaluation, rollouts, inspection), with the PEFT
    /// adapter in `adapter` when given. Frozen, so held in bfloat16 when its checkpoint allows (`ParameterStorage`). With
    /// an adapter, a checkpoint all BF16 runs in bfloat16 with the adapter attached (the engine applies it unmerged over
    /// the bfloat16 weights); any other has the adapter merged into its float32 weights.
    public static func loadForInference(directory: URL, adapter: URL?, allowingNonFiniteWeights: Bool = false) throws -> Qwen3Model {
        guard let adapter else { return try loadFrozenModel(directory: directory, allowingNonFiniteWeights: allowingNonFiniteWeights) }
        if try holdsBFloat16Only(directory) {
            let model = try loadFrozenModel(directory: directory, allowingNonFiniteWeights: allowingNonFiniteWeights)
            try model.attach(try PEFTAdapterFormat.load(directory: adapter, model: model.config))
            return model
        }
        var checkpoint = try load(directory: directory, allowingNonFiniteWeights: allowingNonFiniteWeights)
        try checkpoint.mergeAdapter(at: adapter)
        return try Qwen3Model(config: checkpoint.config, parameters: checkpoint.parameters)
    }
}
