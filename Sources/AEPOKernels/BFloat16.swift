/// A bfloat16 value: the upper 16 bits of a float32 (sign, 8 exponent bits, 7 mantissa bits), the format of most
/// published checkpoints. Widening to float32 is exact (the bits shifted left by 16); a float32 is representable
/// exactly when its lower 16 bits are zero.
public struct BFloat16: Equatable, Sendable {
    public var bitPattern: UInt16

    public init(bitPattern: UInt16) {
        self.bitPattern = bitPattern
    }

    /// `value`, when bfloat16 holds it exactly (NaNs whose payload fits included); `nil` otherwise.
    public init?(exactly value: Float) {
        guard value.bitPattern & 0xFFFF == 0 else { return nil }
        bitPattern = UInt16(value.bitPattern >> 16)
    }

    /// `value` rounded to the nearest bfloat16 (ties to even; a NaN stays a NaN).
    public init(rounding value: Float) {
        let bits = value.bitPattern
        guard !value.isNaN else {
            bitPattern = UInt16(bits >> 16) | 0x40
            return
        }
        bitPattern = UInt16((bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }

    /// The value as a float32 (exact).
    @inline(__always)
    public var float: Float { Float(bitPattern: UInt32(bitPattern) << 16) }

    /// Bfloat16 bit patterns (8 or 16 lanes) widened to float32 exactly, each shifted into the high half:
    /// `Float(bitPattern: UInt32(b) << 16)`. Written lane by lane, the loop compiles to one zero extension and one shift
    /// (`vpmovzxwd`, `vpslld`) where the kernels inline it; `SIMD16<UInt32>(truncatingIfNeeded:)` stayed a call per
    /// vector there, which also spilled the GEMM tiles' accumulators around it.
    @inlinable @inline(__always)
    public static func widen<Bits: SIMD, Floats: SIMD>(_ bits: Bits) -> Floats where Bits.Scalar == UInt16, Floats.Scalar == Float {
        var floats = Floats()
        for i in floats.indices { floats[i] = Float(bitPattern: UInt32(bits[i]) &<< 16) }
        return floats
    }

    /// Widens `count` values from `source` into `destination`.
    public static func widen(_ source: UnsafePointer<BFloat16>, into destination: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            UnsafeMutableRawPointer(destination + i).storeBytes(of: load8(source + i), as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            destination[i] = source[i].float
            i += 1
        }
    }
}
