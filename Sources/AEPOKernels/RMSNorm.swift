/// Root-mean-square normalisation over the last dimension, as Hugging Face's `Qwen3RMSNorm`:
/// `y = w ⊙ x · r`, with `r = 1 / sqrt(mean(x²) + eps)`, all in float32.
public enum RMSNorm {
    /// Normalises `rows` rows of `width` floats. Saves `r` per row in `rstd` for the backward pass.
    /// `output` may alias `input` (with the default layout). Output rows are contiguous; input rows
    /// come in groups of `heads` consecutive rows, groups `inputStride` floats apart (default
    /// `heads · width`, i.e. contiguous): per-head norms read a token's heads inside a wider row.
    public static func forward(
        output: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        rows: Int, width: Int, eps: Float, heads: Int = 1, inputStride: Int? = nil
    ) {
        let stride = inputStride ?? heads * width
        Parallel.forEachChunk(rows, minimumChunk: 16) { range in
            for row in range {
                let x = input + inputOffset(row, heads: heads, stride: stride, width: width)
                let y = output + row * width
                let r = 1 / (Reduction.sumOfSquares(x, width) / Float(width) + eps).squareRoot()
                rstd[row] = r
                let vr = SIMD16<Float>(repeating: r)
                var i = 0
                while i + 16 <= width {
                    Reduction.store16(Reduction.load16(weight + i) * (Reduction.load16(x + i) * vr), y + i)
                    i += 16
                }
                while i < width {
                    y[i] = weight[i] * (x[i] * r)
                    i += 1
                }
            }
        }
    }

    /// Where input row `row` starts: groups of `heads` rows, `stride` floats apart.
    @inline(__always)
    private static func inputOffset(_ row: Int, heads: Int, stride: Int, width: Int) -> Int {
        heads == 1 ? row * stride : (row / heads) * stride + (row % heads) * width
    }

    /// Accumulates `∂L/∂x` into `inputGradient` (`+=`) and `∂L/∂w` into `weightGradient` (`+=`; not computed when
    /// it is `nil`: a frozen weight): `dx_i = r·w_i·dy_i − x_i · r³/width · Σ_j w_j·dy_j·x_j`, `dw_i = Σ_rows dy_i · x_i · r`.
    /// `input` and `inputGradient` have the layout `heads`/`inputStride` describe (see `forward`).
    public static func backward(
        inputGradient: UnsafeMutablePointer<Float>, weightGradient: UnsafeMutablePointer<Float>?,
        outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
        rows: Int, width: Int, heads: Int = 1, inputStride: Int? = nil
    ) {
        let stride = inputStride ?? heads * width
        let chunks = Parallel.chunkCount(rows, minimumChunk: 16)
        let partialCount = weightGradient == nil ? 0 : chunks * width
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: partialCount)
        partial.initialize(repeating: 0, count: partialCount)
        defer { partial.deallocate() }
        Parallel.forEach(chunks) { chunk in
            let dw: UnsafeMutablePointer<Float>? = partialCount == 0 ? nil : partial + chunk * width
            for row in Parallel.chunkRange(chunk, of: chunks, total: rows) {
                let offset = inputOffset(row, heads: heads, stride: stride, width: width)
                let x = input + offset
                let dy = outputGradient + row * width
                let dx = inputGradient + offset
                let r = rstd[row]
                let c = Reduction.dot(weight, dy, x, width) * r * r * r / Float(width)
                let (vr, vc) = (SIMD16<Float>(repeating: r), SIMD16<Float>(repeating: c))
                var i = 0
                while i + 16 <= width {
                    let (w16, dy16, x16) = (Reduction.load16(weight + i), Reduction.load16(dy + i), Reduction.load16(x + i))
                    Reduction.store16(Reduction.load16(dx + i) + (vr * w16 * dy16 - vc * x16), dx + i)
                    if let dw { Reduction.store16(Reduction.load16(dw + i) + dy16 * x16 * vr, dw + i) }
                    i += 16
                }
                while i < width {
                    dx[i] += r * weight[i] * dy[i] - c * x[i]
                    if let dw { dw[i] += dy[i] * x[i] * r }
                    i += 1
                }
            }
        }
        guard let weightGradient else { return }
        for chunk in 0..<chunks {
            let dw = partial + chunk * width
            for i in 0..<width { weightGradient[i] += dw[i] }
        }
    }
}
