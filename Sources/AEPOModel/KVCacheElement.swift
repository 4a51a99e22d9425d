import AEPOKernels

/// A type a `KVCache` stores keys and values in (`KVCacheDataType`), converted to float32 where attention reads it:
/// `Float`, `BFloat16`, or `Int8` with a scale per row. Each conversion is an element-wise loop that the compiler turns
/// into vector instructions (sign or zero extension, then a conversion or a shift), without a call per vector.
protocol KVCacheElement {
    /// Whether the stored values are to be multiplied by their row's scale.
    static var isScaled: Bool { get }
    /// The stored value as a float32 (before the scale).
    var float: Float { get }
    /// Sixteen consecutive stored values from `pointer`, as float32 (before the scale).
    static func load16(_ pointer: UnsafePointer<Self>) -> SIMD16<Float>
    /// Stores the `count` floats of `row` at `destination[i · stride]` and returns the row's scale (1 when unscaled).
    static func store(_ row: UnsafePointer<Float>, count: Int, to destination: UnsafeMutablePointer<Self>, stride: Int) -> Float
}

extension Float: KVCacheElement {
    static var isScaled: Bool { false }

    @inline(__always) var float: Float { self }

    @inline(__always)
    static func load16(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
    }

    static func store(_ row: UnsafePointer<Float>, count: Int, to destination: UnsafeMutablePointer<Float>, stride: Int) -> Float {
        for i in 0..<count { destination[i * stride] = row[i] }
        return 1
    }
}

extension BFloat16: KVCacheElement {
    static var isScaled: Bool { false }

    @inline(__always)
    static func load16(_ pointer: UnsafePointer<BFloat16>) -> SIMD16<Float> {
        widen(UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<UInt16>.self))
    }

    static func store(_ row: UnsafePointer<Float>, count: Int, to destination: UnsafeMutablePointer<BFloat16>, stride: Int) -> Float {
        for i in 0..<count { destination[i * stride] = BFloat16(rounding: row[i]) }
        return 1
    }
}

extension Int8: KVCacheElement {
    static var isScaled: Bool { true }

    @inline(__always) var float: Float { Float(self) }

    @inline(__always)
    static func load16(_ pointer: UnsafePointer<Int8>) -> SIMD16<Float> {
        let values = UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Int8>.self)
        var widened = SIMD16<Float>()
        for i in 0..<16 { widened[i] = Float(values[i]) }
        return widened
    }

    /// Symmetric quantisation: `scale = max|x| / 127` and `q = round(x / scale)`, so that `|scale · q − x| ≤ scale / 2`
    /// (up to float32 rounding); a row of zeros has scale 0. Values that are not finite are clamped, never trapped on.
    static func store(_ row: UnsafePointer<Float>, count: Int, to destination: UnsafeMutablePointer<Int8>, stride: Int) -> Float {
        var largest: Float = 0
        for i in 0..<count { largest = Swift.max(largest, row[i].magnitude) }
        let scale = largest / 127
        for i in 0..<count {
            let q = scale > 0 ? (row[i] / scale).rounded() : 0
            destination[i * stride] = Int8(Swift.max(-127, Swift.min(127, q)))
        }
        return scale
    }
}
