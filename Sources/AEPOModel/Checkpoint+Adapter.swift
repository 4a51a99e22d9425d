import Foundation

extension Checkpoint {
    /// Merges the PEFT adapter in `directory` (`PEFTAdapterFormat`) into the weights: every adapted `W` becomes
    /// `W + s · B · A`, so that the checkpoint alone computes what its base and the adapter compute.
    public mutating func mergeAdapter(at directory: URL) throws {
        let adapter = try PEFTAdapterFormat.load(directory: directory, model: config)
        parameters.withUnsafeMutableBufferPointer { adapter.merge(into: $0) }
    }

    /// The model in `directory` to run without training it (serving, evaluation, rollouts, inspection): frozen, so held
    /// in bfloat16 when its checkpoint allows (`ParameterStorage`); with the PEFT adapter in `adapter` merged in, when
    /// given, in float32 (merged weights are not bfloat16 values).
    public static func loadForInference(directory: URL, adapter: URL?, allowingNonFiniteWeights: Bool = false) throws -> Qwen3Model {
        guard let adapter else { return try loadFrozenModel(directory: directory, allowingNonFiniteWeights: allowingNonFiniteWeights) }
        var checkpoint = try load(directory: directory, allowingNonFiniteWeights: allowingNonFiniteWeights)
        try checkpoint.mergeAdapter(at: adapter)
        return try Qwen3Model(config: checkpoint.config, parameters: checkpoint.parameters)
    }
}
