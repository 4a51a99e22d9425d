/// A bias-free linear layer over rows, `y = x · Wᵀ` with `W` stored `[outputWidth, inputWidth]`
/// (PyTorch's `nn.Linear` layout), as `sgemm` calls; W is float32 or bfloat16 (`WeightPointer`).
public enum Linear {
    /// `output[rows, outputWidth] = input[rows, inputWidth] · Wᵀ`, added to `output` when `accumulate`, then `terms`
    /// (an adapter's `s · u · Bᵀ`, `LowRankTerm`) added in order.
    public static func forward(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, weight: WeightPointer,
        rows: Int, inputWidth: Int, outputWidth: Int, accumulate: Bool = false, adding terms: [LowRankTerm] = []
    ) {
        sgemm(transA: false, transB: true, m: rows, n: outputWidth, k: inputWidth, alpha: 1,
              a: input, lda: inputWidth, b: weight, ldb: inputWidth,
              beta: accumulate ? 1 : 0, c: output, ldc: outputWidth, adding: terms)
    }

    /// `∂L/∂x = ∂L/∂y · W` (written, or added when `accumulateInput`), then `terms` added to it in order (adapters'
    /// `(∂L/∂u) · A`, `LowRankLinear.backwardTerm`), and `∂L/∂W += (∂L/∂y)ᵀ · x` (not computed when `weightGradient` is
    /// `nil`: a frozen weight; a bfloat16 weight is always frozen).
    public static func backward(
        inputGradient: UnsafeMutablePointer<Float>, weightGradient: UnsafeMutablePointer<Float>?,
        outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>, weight: WeightPointer,
        rows: Int, inputWidth: Int, outputWidth: Int, accumulateInput: Bool = false, adding terms: [LowRankTerm] = []
    ) {
        sgemm(transA: false, transB: false, m: rows, n: inputWidth, k: outputWidth, alpha: 1,
              a: outputGradient, lda: outputWidth, b: weight, ldb: inputWidth,
              beta: accumulateInput ? 1 : 0, c: inputGradient, ldc: inputWidth, adding: terms)
        guard let weightGradient else { return }
        precondition(weight.float32 != nil, "a bfloat16 weight is frozen: it has no gradient")
        sgemm(transA: true, transB: false, m: outputWidth, n: inputWidth, k: rows, alpha: 1,
              a: outputGradient, lda: outputWidth, b: input, ldb: inputWidth,
              beta: 1, c: weightGradient, ldc: inputWidth)
    }
}
