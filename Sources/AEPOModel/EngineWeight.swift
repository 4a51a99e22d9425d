import AEPOKernels

/// A linear layer's weight as the engine multiplies by it, `output (+)= input · Wᵀ`: few rows (decoding) through its
/// packed copy, which keeps the parameters' type (bfloat16 or float32), many (prefill) through `sgemm` on the
/// parameters. A matrix that fuses several modules (q|k|v, gate|up) knows the output columns of each, so that a LoRA
/// adapter's modules add their terms to their own slices of the product, unmerged.
struct EngineWeight {
    let packed: PackedWeights
    /// The weight in the parameters.
    let weight: WeightPointer
    /// The modules the matrix holds one after another, each with its first output column.
    let modules: [(target: LoRATarget, column: Int)]

    /// The weights of `modules` (adjacent in the parameters, from `weight` on, `inputs` wide) as one matrix.
    init(weight: WeightPointer, modules: [(target: LoRATarget, outputs: Int)], inputs: Int) throws {
        var column = 0
        self.modules = modules.map { module in
            defer { column += module.outputs }
            return (module.target, column)
        }
        packed = try PackedWeights(weight: weight, outputs: column, inputs: inputs)
        self.weight = weight
    }

    /// A weight no adapter adapts (the LM head).
    init(weight: WeightPointer, outputs: Int, inputs: Int) throws {
        packed = try PackedWeights(weight: weight, outputs: outputs, inputs: inputs)
        self.weight = weight
        modules = []
    }

    /// `output (+)= input · Wᵀ` over `rows` rows.
    func apply(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, rows: Int, accumulate: Bool = false) {
        if rows > smallBatchLimit {
            Linear.forward(output: output, input: input, weight: weight, rows: rows, inputWidth: packed.inputs,
                           outputWidth: packed.outputs, accumulate: accumulate)
        } else {
            packed.apply(output: output, input: input, rows: rows, accumulate: accumulate)
        }
    }

    /// Adds to `output` (what `apply` wrote) the term `s · (input · Aᵀ) · Bᵀ` of each of the matrix's modules that
    /// `adapter` adapts in `layer`, in that module's columns, with the adapter's current values and no dropout;
    /// `projected` holds `rows × rank` floats.
    func addAdapter(_ adapter: LoRAAdapter, layer: Int, output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                    rows: Int, projected: UnsafeMutablePointer<Float>) {
        for (target, column) in modules {
            guard let (_, site) = adapter.site(layer: layer, target: target) else { continue }
            adapter.forward(site, input: input, output: output + column, rows: rows, stride: packed.outputs, projected: projected)
        }
    }
}
