import AEPOCore
import AEPOKernels

/// A LoRA adapter of a Qwen3 model, as PEFT lays one out: for every decoder layer and adapted module, `A` `[r, in]`
/// and `B` `[out, r]`, which add `s · B(A(dropout(x)))` to the module's `W x` (`LoRAConfig`). All of them live in one
/// float buffer, their gradients in another of the same layout, so that the optimizer, gradient clipping and
/// checkpoints run over an adapter as they run over a whole model.
public final class LoRAAdapter {
    /// One adapted module of one layer.
    struct Site {
        var layer: Int
        var target: LoRATarget
        /// Offsets of A and B in `parameters`.
        var a: Int
        var b: Int
        var inputs: Int
        var outputs: Int

        /// Its `LowRankLinear` shape over `rows` rows of an output `stride` floats apart.
        func shape(rows: Int, stride: Int, config: LoRAConfig) -> LowRankLinear.Shape {
            LowRankLinear.Shape(rows: rows, inputWidth: inputs, outputWidth: outputs, rank: config.rank, outputStride: stride,
                                scale: config.scale)
        }
    }

    /// Which of an adapted module's two matrices.
    public enum Matrix: String, Sendable {
        case a = "lora_A"
        case b = "lora_B"
    }

    public let config: LoRAConfig
    /// The shape of the model adapted.
    public let model: Qwen3Config
    /// A and B of every adapted module, layer by layer in `LoRATarget` order, under PEFT's tensor names.
    public let entries: [ParameterLayout.Entry]
    /// All adapter parameters, in `entries` order.
    public let parameters: UnsafeMutableBufferPointer<Float>
    private var gradientStorage: UnsafeMutableBufferPointer<Float>?
    let sites: [Site]
    /// `sites` index of (layer, target), by `layer · targets + target ordinal`.
    private let siteIndex: [Int: Int]

    /// An adapter as PEFT initialises one: `A` kaiming-uniform with a = √5 (uniform in ±1/√in), drawn from `seed`, and
    /// `B` zero, so that the adapted model starts as the base. An error when `config` does not fit `model`.
    public convenience init(config: LoRAConfig, model: Qwen3Config, seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        try self.init(config: config, model: model) { entry, values in
            guard entry.name.hasSuffix(Matrix.a.rawValue + ".weight") else { return }
            let bound = 1 / Float(entry.shape[1]).squareRoot()
            for i in values.indices { values[i] = (2 * generator.nextFloat() - 1) * bound }
        }
    }

    /// An adapter whose zeroed values `fill` writes, entry by entry.
    init(config: LoRAConfig, model: Qwen3Config,
         filling fill: (ParameterLayout.Entry, UnsafeMutableBufferPointer<Float>) throws -> Void) throws {
        try config.validate(for: model, source: "LoRA adapter") { "\($0)" }
        var entries: [ParameterLayout.Entry] = [], sites: [Site] = [], index: [Int: Int] = [:]
        var offset = 0
        for layer in 0..<model.numHiddenLayers {
            for target in config.targets {
                let (inputs, outputs) = target.shape(in: model)
                let site = Site(layer: layer, target: target, a: offset, b: offset + config.rank * inputs, inputs: inputs, outputs: outputs)
                entries.append(.init(name: Self.tensorName(layer: layer, target: target, .a), shape: [config.rank, inputs], offset: site.a))
                entries.append(.init(name: Self.tensorName(layer: layer, target: target, .b), shape: [outputs, config.rank], offset: site.b))
                index[Self.key(layer, target)] = sites.count
                sites.append(site)
                offset = site.b + outputs * config.rank
            }
        }
        let values = try LargeAllocation.floats(offset, for: "the adapter")
        do {
            for entry in entries { try fill(entry, UnsafeMutableBufferPointer(rebasing: values[entry.offset..<entry.offset + entry.count])) }
        } catch {
            LargeAllocation.release(values.baseAddress)
            throw error
        }
        self.config = config
        self.model = model
        self.entries = entries
        self.sites = sites
        siteIndex = index
        parameters = values
    }

    deinit {
        LargeAllocation.release(parameters.baseAddress)
        LargeAllocation.release(gradientStorage?.baseAddress)
    }

    /// PEFT's name of a matrix: `base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight`.
    public static func tensorName(layer: Int, target: LoRATarget, _ matrix: Matrix) -> String {
        "base_model.model.model.layers.\(layer).\(target.modulePath).\(matrix.rawValue).weight"
    }

    private static func key(_ layer: Int, _ target: LoRATarget) -> Int {
        layer * LoRATarget.allCases.count + LoRATarget.allCases.firstIndex(of: target)!
    }

    /// The adapted module `target` of `layer`, with its index in `sites`; `nil` when it is not adapted.
    func site(layer: Int, target: LoRATarget) -> (index: Int, site: Site)? {
        siteIndex[Self.key(layer, target)].map { ($0, sites[$0]) }
    }

    /// The parameter values as an array (a copy).
    public var parameterValues: [Float] { Array(parameters) }

    /// Gradients in `parameters`' layout; empty until `allocateGradients`.
    public var gradients: UnsafeMutableBufferPointer<Float> {
        gradientStorage ?? UnsafeMutableBufferPointer(start: nil, count: 0)
    }

    /// Allocates the gradients (zeroed) unless they are; an `OutOfMemoryError` when they do not fit.
    public func allocateGradients() throws {
        if gradientStorage == nil { gradientStorage = try LargeAllocation.floats(parameters.count, for: "the adapter's gradients") }
    }

    /// `output += s · B(A(dropout(input)))` through the adapted module `site` over `rows` rows of an output `stride` floats
    /// apart (a slice of a fused product's output), with the values the adapter holds now; `u = dropout(input) · Aᵀ` is
    /// kept in `projected` (`rows × rank`), the dropped input in `scratch` (needed only with `dropout`).
    func forward(_ site: Site, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, rows: Int, stride: Int,
                 projected: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>? = nil, dropout: Dropout? = nil) {
        let q = parameters.baseAddress!
        LowRankLinear.forward(output: output, input: input, a: q + site.a, b: q + site.b, projected: projected, scratch: scratch,
                              shape: site.shape(rows: rows, stride: stride, config: config), dropout: dropout)
    }

    /// `u = dropout(input) · Aᵀ` through the adapted module `site` over `rows` rows (kept in `projected`), and the term
    /// `s · u · Bᵀ` for the frozen layer's product to add at its output columns from `column` on (`LowRankLinear.project`).
    func term(_ site: Site, input: UnsafePointer<Float>, rows: Int, column: Int, projected: UnsafeMutablePointer<Float>,
              scratch: UnsafeMutablePointer<Float>?, dropout: Dropout?) -> LowRankTerm {
        let q = parameters.baseAddress!
        return LowRankLinear.project(input: input, a: q + site.a, b: q + site.b, projected: projected, scratch: scratch,
                                     shape: site.shape(rows: rows, stride: site.outputs, config: config),
                                     dropout: dropout, column: column)
    }

    /// `W += s · B · A` for module `target` of `layer`, whose `[out, in]` weight is at `weight`; nothing when that
    /// module is not adapted.
    public func merge(_ target: LoRATarget, layer: Int, into weight: UnsafeMutablePointer<Float>) {
        guard let (_, site) = site(layer: layer, target: target) else { return }
        LowRankLinear.merge(into: weight, a: parameters.baseAddress! + site.a, b: parameters.baseAddress! + site.b,
                            inputWidth: site.inputs, outputWidth: site.outputs, rank: config.rank, scale: config.scale)
    }

    /// Every adapted weight of `parameters`, a whole model of `model`'s shape in `ParameterLayout` order, becomes
    /// `W + s · B · A`: the merged model computes what the base with the adapter computes (without dropout).
    public func merge(into parameters: UnsafeMutableBufferPointer<Float>) {
        let layout = ParameterLayout(config: model)
        precondition(parameters.count == layout.totalCount, "the parameters are not of the adapted model's shape")
        for site in sites {
            merge(site.target, layer: site.layer, into: parameters.baseAddress! + layout[site.target.weightName(layer: site.layer)]!.offset)
        }
    }
}
