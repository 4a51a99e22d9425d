import Foundation

/// The gated activation of Qwen3's MLP: `h = silu(g) ⊙ u`, `silu(g) = g · σ(g)`.
public enum SwiGLU {
    /// `output[i] = silu(gate[i]) · up[i]` for `count` elements.
    public static func forward(output: UnsafeMutablePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        Parallel.forEachChunk(count, minimumChunk: 4096) { range in
            var i = range.lowerBound
            while i + 16 <= range.upperBound {
                let g = Reduction.load16(gate + i)
                Reduction.store16(g / (1 + VectorMath.exp(-g)) * Reduction.load16(up + i), output + i)
                i += 16
            }
            while i < range.upperBound {
                let g = gate[i]
                output[i] = g / (1 + expf(-g)) * up[i]
                i += 1
            }
        }
    }

    /// Writes (`=`) `∂L/∂g = dh · u · σ(g)(1 + g(1 − σ(g)))` and `∂L/∂u = dh · silu(g)`.
    public static func backward(
        gateGradient: UnsafeMutablePointer<Float>, upGradient: UnsafeMutablePointer<Float>,
        outputGradient: UnsafePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int
    ) {
        Parallel.forEachChunk(count, minimumChunk: 4096) { range in
            var i = range.lowerBound
            while i + 16 <= range.upperBound {
                let g = Reduction.load16(gate + i)
                let sigma = 1 / (1 + VectorMath.exp(-g))
                let dh = Reduction.load16(outputGradient + i)
                Reduction.store16(dh * Reduction.load16(up + i) * sigma * (1 + g * (1 - sigma)), gateGradient + i)
                Reduction.store16(dh * g * sigma, upGradient + i)
                i += 16
            }
            while i < range.upperBound {
                let g = gate[i]
                let sigma = 1 / (1 + expf(-g))
                let dh = outputGradient[i]
                gateGradient[i] = dh * up[i] * sigma * (1 + g * (1 - sigma))
                upGradient[i] = dh * g * sigma
                i += 1
            }
        }
    }
}
