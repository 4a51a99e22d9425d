import AEPOCore
import AEPOKernels

/// What a forward pass through an adapter keeps for its backward pass (pointers into a `FloatArena`):
/// `u = dropout(x) · Aᵀ` of every adapted module (`rows × rank` each), the scratch both passes share (room for the
/// `∂L/∂u` of q, k and v at once, whose terms q|k|v's input-gradient product adds), and the dropout's seed, from which
/// the backward pass regenerates every mask (`Dropout`) instead of keeping dropped inputs.
struct LoRAActivations {
    /// By `LoRAAdapter.sites` index.
    var projected: [UnsafeMutablePointer<Float>]
    var scratch: UnsafeMutablePointer<Float>
    var shape: (rows: Int, rank: Int)
    /// `nil`: no dropout (evaluation, or an adapter without dropout).
    var dropoutSeed: UInt64?
    var dropoutProbability: Float

    /// The floats `init` takes for an adapter of `config` on a model of `model`.
    static func floatCount(_ config: LoRAConfig, model: Qwen3Config, rows: Int, dropout: Bool) -> Double {
        let sites = model.numHiddenLayers * config.targets.count
        return Double(rows) * Double(config.rank * (sites + termsPerProduct) + (dropout ? widestInput(config, model: model) : 0))
    }

    /// The most adapted modules one frozen product serves (q, k and v).
    static let termsPerProduct = 3

    /// The widest input of an adapted module.
    private static func widestInput(_ config: LoRAConfig, model: Qwen3Config) -> Int {
        config.targets.map { $0.shape(in: model).inputs }.max() ?? 0
    }

    /// Lays out the adapter's activations of `rows` rows in `arena`; with dropout when `dropoutSeed` is given and the
    /// adapter has any (an `OutOfMemoryError` when they do not fit).
    init(_ adapter: LoRAAdapter, rows: Int, dropoutSeed: UInt64?, arena: FloatArena) throws {
        let probability = Float(adapter.config.dropout)
        self.dropoutSeed = probability > 0 ? dropoutSeed : nil
        dropoutProbability = probability
        shape = (rows, adapter.config.rank)
        let dropout = self.dropoutSeed != nil
        try arena.reset(reserving: Int(Self.floatCount(adapter.config, model: adapter.model, rows: rows, dropout: dropout)))
        projected = adapter.sites.map { _ in arena.take(rows * adapter.config.rank) }
        scratch = arena.take(rows * (adapter.config.rank * Self.termsPerProduct
                                     + (dropout ? Self.widestInput(adapter.config, model: adapter.model) : 0)))
    }

    /// The dropout of site `index` (its own stream of the pass's seed), `nil` without dropout.
    func dropout(site index: Int) -> Dropout? {
        guard let dropoutSeed else { return nil }
        return Dropout(probability: dropoutProbability, seed: SeededGenerator(seed: dropoutSeed).derivedSeed(stream: UInt64(index)))
    }
}
