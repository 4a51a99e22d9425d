/// `H_seg` of a model segment (docs/algorithm.md §1.2): the sum over its first `K` generated tokens (fewer if the
/// segment is shorter) of `H_t / log|V|`, the token entropy normalised by its maximum.
public struct SegmentEntropy: Equatable, Sendable {
    /// The default K.
    public static let defaultWindow = 20

    /// K.
    public var window: Int
    /// |V|, the size of the distribution the entropies were computed over.
    public var vocabularySize: Int

    public init(vocabularySize: Int, window: Int = defaultWindow) {
        precondition(vocabularySize >= 2 && window >= 1, "need |V| ≥ 2 and K ≥ 1")
        self.vocabularySize = vocabularySize
        self.window = window
    }

    /// `Σ_{t < K} H_t / log|V|` over the segment's token entropies (in nats), in generation order.
    public func callAsFunction<S: Sequence>(_ tokenEntropies: S) -> Double where S.Element: BinaryFloatingPoint {
        tokenEntropies.prefix(window).reduce(0) { $0 + Double($1) } / _log(Double(vocabularySize))
    }
}

#if canImport(Glibc)
import Glibc
private func _log(_ x: Double) -> Double { Glibc.log(x) }
#else
import Darwin
private func _log(_ x: Double) -> Double { Darwin.log(x) }
#endif
