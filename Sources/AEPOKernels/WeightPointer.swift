/// Where a read-only weight matrix (or a whole parameter buffer) starts: float32 values, or bfloat16 values that every
/// kernel widens exactly to float32 where it reads them (packing GEMM operands, the small-batch products, the decode
/// panels, embedding rows). Results are those of float32 weights holding the same values, bit for bit: the same
/// products are summed in the same order.
public enum WeightPointer {
    case float32(UnsafePointer<Float>)
    case bfloat16(UnsafePointer<BFloat16>)

    /// The weights `offset` elements on.
    public static func + (base: WeightPointer, offset: Int) -> WeightPointer {
        switch base {
        case .float32(let p): return .float32(p + offset)
        case .bfloat16(let p): return .bfloat16(p + offset)
        }
    }

    /// Copies `count` values from `offset` on into `destination` as float32.
    public func widen(from offset: Int, count: Int, into destination: UnsafeMutablePointer<Float>) {
        switch self {
        case .float32(let p): destination.update(from: p + offset, count: count)
        case .bfloat16(let p): BFloat16.widen(p + offset, into: destination, count: count)
        }
    }

    /// The float32 values, when that is how they are held.
    var float32: UnsafePointer<Float>? {
        if case .float32(let p) = self { return p }
        return nil
    }
}
