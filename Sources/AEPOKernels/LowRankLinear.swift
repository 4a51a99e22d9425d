/// A low-rank adapter beside a linear layer (LoRA, as PEFT computes it): `y += s · B(A(dropout(x)))`, i.e.
/// `y[rows, out] += s · (dropout(x) · Aᵀ) · Bᵀ` with `A` stored `[rank, in]`, `B` `[out, rank]` (PyTorch's `nn.Linear`
/// layout) and `s` = `scale` (alpha / rank). The forward pass keeps `u = dropout(x) · Aᵀ` (`rows × rank`) for the
/// backward pass; a dropped input is regenerated from `Dropout`'s seed rather than stored.
public enum LowRankLinear {
    public struct Shape: Equatable, Sendable {
        public var rows: Int
        public var inputWidth: Int
        public var outputWidth: Int
        public var rank: Int
        /// Floats between consecutive rows of `y` and `∂L/∂y` (at least `outputWidth`): a slice of a fused product's
        /// output, such as q, k or v inside q|k|v.
        public var outputStride: Int
        /// `s` = alpha / rank (PEFT's `scaling`).
        public var scale: Float

        public init(rows: Int, inputWidth: Int, outputWidth: Int, rank: Int, outputStride: Int? = nil, scale: Float) {
            self.rows = rows
            self.inputWidth = inputWidth
            self.outputWidth = outputWidth
            self.rank = rank
            self.outputStride = outputStride ?? outputWidth
            self.scale = scale
            precondition(self.outputStride >= outputWidth && rank > 0, "invalid low-rank shape")
        }

        /// Scratch floats `forward` needs: the dropped input (none without dropout).
        public func forwardScratchCount(dropout: Dropout?) -> Int { dropout == nil ? 0 : rows * inputWidth }

        /// Scratch floats `backward` needs: `∂L/∂u`, and with dropout the dropped input and its gradient.
        public func backwardScratchCount(dropout: Dropout?) -> Int { rows * rank + forwardScratchCount(dropout: dropout) }
    }

    /// `u = dropout(x) · Aᵀ` (written to `projected`, `rows × rank`) and `y += s · u · Bᵀ`.
    public static func forward(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        projected u: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>?, shape s: Shape, dropout: Dropout?
    ) {
        project(input: input, a: a, b: b, projected: u, scratch: scratch, shape: s, dropout: dropout)
            .add(m: s.rows, to: output, ldc: s.outputStride)
    }

    /// `u = dropout(x) · Aᵀ` (written to `projected`, `rows × rank`), and `y += s · u · Bᵀ` as a term for the frozen
    /// layer's own product to add (`Linear.forward(…, adding:)`), at the product's output columns from `column` on: the
    /// same sums as `forward`, without reading and writing y once more.
    public static func project(
        input: UnsafePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>, projected u: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>?, shape s: Shape, dropout: Dropout?, column: Int = 0
    ) -> LowRankTerm {
        let x = dropped(input, into: scratch, shape: s, dropout: dropout)
        sgemm(transA: false, transB: true, m: s.rows, n: s.rank, k: s.inputWidth, alpha: 1,
              a: x, lda: s.inputWidth, b: a, ldb: s.inputWidth, beta: 0, c: u, ldc: s.rank)
        return LowRankTerm(columns: column..<(column + s.outputWidth), u: u, v: b, rank: s.rank, alpha: s.scale)
    }

    /// Adds `∂L/∂B += s · (∂L/∂y)ᵀ · u`, `∂L/∂A += (∂L/∂u)ᵀ · dropout(x)` with `∂L/∂u = s · ∂L/∂y · B`, and
    /// `∂L/∂x += dropout(∂L/∂u · A)` (the same mask) into `inputGradient`.
    public static func backward(
        inputGradient: UnsafeMutablePointer<Float>, aGradient: UnsafeMutablePointer<Float>, bGradient: UnsafeMutablePointer<Float>,
        outputGradient dy: UnsafePointer<Float>, input: UnsafePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        projected u: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, shape s: Shape, dropout: Dropout?
    ) {
        let droppedScratch = scratch + s.rows * s.rank  // read only with dropout
        let term = backwardTerm(aGradient: aGradient, bGradient: bGradient, outputGradient: dy, input: input, a: a, b: b, projected: u,
                                scratch: scratch, droppedScratch: droppedScratch, shape: s, dropout: dropout)
        guard let dropout else { return term.add(m: s.rows, to: inputGradient, ldc: s.inputWidth) }
        addDropped(term, dropout: dropout, to: inputGradient, scratch: droppedScratch, shape: s)
    }

    /// `backward`'s gradients of A and B, and `∂L/∂x`'s part before dropout, `∂L/∂u · A`, returned as a term: without
    /// dropout, for the frozen layer's input-gradient product to add (`Linear.backward(…, adding:)`), the sums of adding
    /// it after the product without reading and writing `∂L/∂x` once more; with dropout, for `addDropped` after the
    /// product. `∂L/∂u` stays in `scratch` (`rows × rank`) until then; `droppedScratch` (`rows × inputWidth`, only with
    /// dropout) holds the dropped input meanwhile.
    public static func backwardTerm(
        aGradient: UnsafeMutablePointer<Float>, bGradient: UnsafeMutablePointer<Float>, outputGradient dy: UnsafePointer<Float>,
        input: UnsafePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>, projected u: UnsafePointer<Float>,
        scratch du: UnsafeMutablePointer<Float>, droppedScratch: UnsafeMutablePointer<Float>?, shape s: Shape, dropout: Dropout?
    ) -> LowRankTerm {
        sgemm(transA: true, transB: false, m: s.outputWidth, n: s.rank, k: s.rows, alpha: s.scale,
              a: dy, lda: s.outputStride, b: u, ldb: s.rank, beta: 1, c: bGradient, ldc: s.rank)
        sgemm(transA: false, transB: false, m: s.rows, n: s.rank, k: s.outputWidth, alpha: s.scale,
              a: dy, lda: s.outputStride, b: b, ldb: s.rank, beta: 0, c: du, ldc: s.rank)
        let x = dropped(input, into: droppedScratch, shape: s, dropout: dropout)
        sgemm(transA: true, transB: false, m: s.rank, n: s.inputWidth, k: s.rows, alpha: 1,
              a: du, lda: s.rank, b: x, ldb: s.inputWidth, beta: 1, c: aGradient, ldc: s.inputWidth)
        return LowRankTerm(columns: 0..<s.inputWidth, u: du, v: a, rank: s.rank, alpha: 1, vTransposed: true)
    }

    /// `∂L/∂x += dropout(term)`: a `backwardTerm` with dropout, after the frozen layer's input-gradient product, through
    /// `scratch` (`rows × inputWidth`).
    public static func addDropped(_ term: LowRankTerm, dropout: Dropout, to inputGradient: UnsafeMutablePointer<Float>,
                                  scratch: UnsafeMutablePointer<Float>, shape s: Shape) {
        sgemm(transA: false, transB: false, m: s.rows, n: s.inputWidth, k: s.rank, alpha: 1,
              a: term.u, lda: s.rank, b: term.v, ldb: s.inputWidth, beta: 0, c: scratch, ldc: s.inputWidth)
        dropout.apply(output: inputGradient, input: scratch, count: s.rows * s.inputWidth, accumulate: true)
    }

    /// `W += s · B · A`: the adapter folded into the layer's weight `W` (`[outputWidth, inputWidth]`, contiguous), after
    /// which `x · Wᵀ` gives what the layer and its adapter give without dropout.
    public static func merge(into weight: UnsafeMutablePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                             inputWidth: Int, outputWidth: Int, rank: Int, scale: Float) {
        sgemm(transA: false, transB: false, m: outputWidth, n: inputWidth, k: rank, alpha: scale,
              a: b, lda: rank, b: a, ldb: inputWidth, beta: 1, c: weight, ldc: inputWidth)
    }

    /// `dropout(x)` in `scratch`, or `x` itself without dropout.
    private static func dropped(_ x: UnsafePointer<Float>, into scratch: UnsafeMutablePointer<Float>?, shape s: Shape,
                                dropout: Dropout?) -> UnsafePointer<Float> {
        guard let dropout, let scratch else { return x }
        dropout.apply(output: scratch, input: x, count: s.rows * s.inputWidth)
        return UnsafePointer(scratch)
    }
}
