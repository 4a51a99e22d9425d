import Foundation

extension Checkpoint {
    /// Merges the PEFT adapter in `directory` (`PEFTAdapterFormat`) into the weights: every adapted `W` becomes
    /// `W + s · B · A`, so that the checkpoint alone computes what its base and the adapter compute.
    public mutating func mergeAdapter(at directory: URL) throws {
        let adapter = try PEFTAdapterFormat.load(directory: directory, model: config)
        parameters.withUnsafeMutableBufferPointer { adapter.merge(into: $0) }
    }
}
