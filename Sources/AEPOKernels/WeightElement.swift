/// A type weights are held in, read by the kernels as float32: `Float` itself, or `BFloat16` widened exactly. The
/// kernels that read weights are generic over it, so both run the same arithmetic in the same order.
protocol WeightElement {
    static var zero: Self { get }
    /// The value as a float32.
    var float: Float { get }
    /// Eight consecutive values from `pointer`, as float32.
    static func load8(_ pointer: UnsafePointer<Self>) -> SIMD8<Float>
    /// Sixteen consecutive values from `pointer`, as float32.
    static func load16(_ pointer: UnsafePointer<Self>) -> SIMD16<Float>
}

extension Float: WeightElement {
    @inline(__always) var float: Float { self }

    @inline(__always)
    static func load8(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func load16(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
    }
}

extension BFloat16: WeightElement {
    static let zero = BFloat16(bitPattern: 0)

    @inline(__always)
    static func load8(_ pointer: UnsafePointer<BFloat16>) -> SIMD8<Float> {
        widen(UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<UInt16>.self))
    }

    @inline(__always)
    static func load16(_ pointer: UnsafePointer<BFloat16>) -> SIMD16<Float> {
        widen(UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<UInt16>.self))
    }
}
