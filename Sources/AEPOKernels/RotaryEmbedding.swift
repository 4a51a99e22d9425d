import Foundation

/// Rotary position embedding in Hugging Face's convention (`rotate_half` over the two halves of a head):
/// for `i < d/2`, `y_i = x_i·cos θ_i − x_{i+d/2}·sin θ_i` and `y_{i+d/2} = x_{i+d/2}·cos θ_i + x_i·sin θ_i`,
/// with `θ_i = position · theta^(−2i/d)` computed in float32 as transformers does.
public struct RotaryEmbedding: Sendable {
    public let headDim: Int
    public let maxPositions: Int
    /// `cos θ_i` and `sin θ_i`, `[maxPositions, headDim/2]`.
    private let cosTable: [Float]
    private let sinTable: [Float]

    public init(headDim: Int, theta: Double, maxPositions: Int) {
        precondition(headDim % 2 == 0, "rotary head dimension must be even")
        self.headDim = headDim
        self.maxPositions = maxPositions
        let half = headDim / 2
        let inverseFrequency = (0..<half).map { Float(1.0 / pow(theta, Double(2 * $0) / Double(headDim))) }
        var cosTable = [Float](repeating: 0, count: maxPositions * half)
        var sinTable = cosTable
        for position in 0..<maxPositions {
            for i in 0..<half {
                let angle = Double(Float(position) * inverseFrequency[i])
                cosTable[position * half + i] = Float(cos(angle))
                sinTable[position * half + i] = Float(sin(angle))
            }
        }
        self.cosTable = cosTable
        self.sinTable = sinTable
    }

    /// Rotates in place `tokens × heads` vectors of `headDim` floats (token-major), each token at `positions[token]`.
    public func forward(_ x: UnsafeMutablePointer<Float>, positions: UnsafePointer<Int32>, tokens: Int, heads: Int) {
        rotate(x, positions: positions, tokens: tokens, heads: heads, sign: 1)
    }

    /// The backward pass, in place: the transposed (inverse) rotation of the output gradient.
    public func backward(_ gradient: UnsafeMutablePointer<Float>, positions: UnsafePointer<Int32>, tokens: Int, heads: Int) {
        rotate(gradient, positions: positions, tokens: tokens, heads: heads, sign: -1)
    }

    private func rotate(_ x: UnsafeMutablePointer<Float>, positions: UnsafePointer<Int32>, tokens: Int, heads: Int, sign: Float) {
        let half = headDim / 2
        let width = heads * headDim
        cosTable.withUnsafeBufferPointer { cosBuffer in
            sinTable.withUnsafeBufferPointer { sinBuffer in
                Parallel.forEachChunk(tokens, minimumChunk: 8) { range in
                    for token in range {
                        let position = Int(positions[token])
                        precondition(position >= 0 && position < maxPositions, "position \(position) outside 0..<\(maxPositions)")
                        let c = cosBuffer.baseAddress! + position * half
                        let s = sinBuffer.baseAddress! + position * half
                        for head in 0..<heads {
                            let v = x + token * width + head * headDim
                            for i in 0..<half {
                                let a = v[i], b = v[i + half]
                                let sn = sign * s[i]
                                v[i] = a * c[i] - b * sn
                                v[i + half] = b * c[i] + a * sn
                            }
                        }
                    }
                }
            }
        }
    }
}
