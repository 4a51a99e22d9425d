/// Deterministic pseudo-random numbers: xoshiro256** seeded through SplitMix64.
///
/// Every random choice in `aepo` (initialisation, sampling, world generation, branching)
/// flows from one of these, so the same seed gives the same run. The full state is a
/// value that can be saved and restored (`state`), which checkpoints use for resume.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable, Codable {
    public private(set) var state: [UInt64]

    /// Seeds the four state words from `seed` with SplitMix64, as the xoshiro authors advise.
    public init(seed: UInt64) {
        var x = seed
        var words: [UInt64] = []
        for _ in 0..<4 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            words.append(z ^ (z >> 31))
        }
        state = words
    }

    public mutating func next() -> UInt64 {
        let result = rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotl(state[3], 45)
        return result
    }

    /// A generator for an independent stream, derived from this one's seed material and `stream`
    /// (for example one per question or per worker) without advancing `self`.
    public func derived(stream: UInt64) -> SeededGenerator {
        SeededGenerator(seed: state[0] ^ rotl(state[3], 17) ^ (stream &* 0xD1B5_4A32_D192_ED03))
    }

    /// A seed for an independent stream: the first draw of `derived(stream:)` (which does not advance `self`).
    public func derivedSeed(stream: UInt64) -> UInt64 {
        var generator = derived(stream: stream)
        return generator.next()
    }

    /// A uniformly random permutation of `0..<count` (Fisher–Yates from the last position down, one draw per
    /// position): the one shuffle of the project, so every shuffled order is reproducible from the seed.
    public mutating func permutation(_ count: Int) -> [Int] {
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(next() % UInt64(i + 1)))
        }
        return order
    }

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Standard normal by the Box–Muller transform.
    public mutating func nextGaussian() -> Double {
        let u1 = 1.0 - nextDouble()  // (0, 1]
        let u2 = nextDouble()
        return (-2.0 * _log(u1)).squareRoot() * _cos(2.0 * Double.pi * u2)
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

#if canImport(Glibc)
import Glibc
private func _log(_ x: Double) -> Double { Glibc.log(x) }
private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Darwin
private func _log(_ x: Double) -> Double { Darwin.log(x) }
private func _cos(_ x: Double) -> Double { Darwin.cos(x) }
#endif
