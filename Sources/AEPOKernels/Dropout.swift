/// Inverted dropout with a counter-based mask: element `i` is kept when the `i`-th output of SplitMix64 from `seed`,
/// as a fraction of 2⁶⁴, is at least `probability`, and a kept element is scaled by `1/(1 − p)`:
/// `y_i = keep(seed, i) · x_i / (1 − p)`. The mask is a pure function of `(seed, i)`, so a backward pass regenerates it
/// (`dx_i = keep(seed, i) · dy_i / (1 − p)`, the same call on the gradient) instead of storing it.
public struct Dropout: Equatable, Sendable {
    /// The probability `p` of zeroing an element, in [0, 1).
    public var probability: Float
    public var seed: UInt64

    public init(probability: Float, seed: UInt64) {
        precondition(probability >= 0 && probability < 1, "dropout probability must be in [0, 1), got \(probability)")
        self.probability = probability
        self.seed = seed
    }

    /// Whether element `index` is kept.
    @inline(__always)
    public func keeps(_ index: Int) -> Bool {
        var z = seed &+ UInt64(index + 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double(z ^ (z >> 31)) >= Double(probability) * 0x1p64
    }

    /// `output[i] (+)= keep(i) · input[i] / (1 − p)` for `count` elements (added when `accumulate`).
    public func apply(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count: Int, accumulate: Bool = false) {
        let scale = 1 / (1 - probability)
        Parallel.forEachChunk(count, minimumChunk: 4096) { range in
            for i in range {
                let y = keeps(i) ? input[i] * scale : 0
                output[i] = accumulate ? output[i] + y : y
            }
        }
    }
}
