/// `PackedWeights`' register tile for CPUs with AVX-512: eight rows × one 24-output panel,
/// `C[t, c] (+)= Σ_{p < depth} x[t·ldx + p] · panel[p·24 + c]` for `t < 8`, `c < 24`, each row held as a 16-float and
/// an 8-float accumulator. Every element is computed by the same fused multiply-adds in the same order as in the AVX2
/// 4 × 24 tile (and stored the same way), so the results are bit for bit those of two such tiles. With
/// `prefetchesNext` (the first tile of a slice) each step prefetches its 24 values of the slice that follows,
/// `depth · 24` values on, as the AVX2 tile does. bfloat16 panels (`UInt16` bit patterns) are widened exactly.
/// Compiled for AVX-512: call it only after `GemmKernel.current` has found the instructions.
@inline(never)
public func packedWideTile(depth: Int, x: UnsafePointer<Float>, ldx: Int, panel: UnsafePointer<Float>,
                           c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, prefetchesNext: Bool) {
    wideTile(depth: depth, x: x, ldx: ldx, panel: panel, c: c, ldc: ldc, accumulate: accumulate, prefetchesNext: prefetchesNext)
}

/// `packedWideTile` on bfloat16 panels.
@inline(never)
public func packedWideTile(depth: Int, x: UnsafePointer<Float>, ldx: Int, panel: UnsafePointer<UInt16>,
                           c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, prefetchesNext: Bool) {
    wideTile(depth: depth, x: x, ldx: ldx, panel: panel, c: c, ldc: ldc, accumulate: accumulate, prefetchesNext: prefetchesNext)
}

/// A panel value type the wide tile widens to float32 as it reads.
protocol PanelElement {
    /// The 16 values at `pointer` and the 8 after them.
    static func load24(_ pointer: UnsafePointer<Self>) -> (SIMD16<Float>, SIMD8<Float>)
}

extension Float: PanelElement {
    @inline(__always)
    static func load24(_ pointer: UnsafePointer<Float>) -> (SIMD16<Float>, SIMD8<Float>) {
        let raw = UnsafeRawPointer(pointer)
        return (raw.loadUnaligned(as: SIMD16<Float>.self), raw.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
    }
}

extension UInt16: PanelElement {
    /// bfloat16 bits shifted into the high half of a float32: the exact value. Lane by lane, as `BFloat16.widen` (which
    /// this module, below AEPOKernels, cannot call): one `vpmovzxwd` and one `vpslld` per vector, no call.
    @inline(__always)
    static func load24(_ pointer: UnsafePointer<UInt16>) -> (SIMD16<Float>, SIMD8<Float>) {
        let raw = UnsafeRawPointer(pointer)
        let (low, high) = (raw.loadUnaligned(as: SIMD16<UInt16>.self), raw.loadUnaligned(fromByteOffset: 32, as: SIMD8<UInt16>.self))
        var (l, h) = (SIMD16<Float>(), SIMD8<Float>())
        for i in 0..<16 { l[i] = Float(bitPattern: UInt32(low[i]) &<< 16) }
        for i in 0..<8 { h[i] = Float(bitPattern: UInt32(high[i]) &<< 16) }
        return (l, h)
    }
}

@inline(__always)
private func wideTile<Element: PanelElement>(depth: Int, x: UnsafePointer<Float>, ldx: Int, panel: UnsafePointer<Element>,
                                             c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, prefetchesNext: Bool) {
    typealias L = SIMD16<Float>
    typealias H = SIMD8<Float>
    var (l0, l1, l2, l3, l4, l5, l6, l7) = (L(), L(), L(), L(), L(), L(), L(), L())
    var (h0, h1, h2, h3, h4, h5, h6, h7) = (H(), H(), H(), H(), H(), H(), H(), H())
    let (x1, x2, x3, x4, x5, x6, x7) = (x + ldx, x + 2 * ldx, x + 3 * ldx, x + 4 * ldx, x + 5 * ldx, x + 6 * ldx, x + 7 * ldx)
    var b = panel
    let ahead = depth * 24
    let stepBytes = 24 * MemoryLayout<Element>.stride
    for p in 0..<depth {
        if prefetchesNext {
            let next = UnsafeRawPointer(b + ahead)
            llvmPrefetch(next, 0, 2, 1)
            if stepBytes > 64 { llvmPrefetch(next + 64, 0, 2, 1) }
        }
        let (bl, bh) = Element.load24(b)
        l0 = l0.addingProduct(L(repeating: x[p]), bl); h0 = h0.addingProduct(H(repeating: x[p]), bh)
        l1 = l1.addingProduct(L(repeating: x1[p]), bl); h1 = h1.addingProduct(H(repeating: x1[p]), bh)
        l2 = l2.addingProduct(L(repeating: x2[p]), bl); h2 = h2.addingProduct(H(repeating: x2[p]), bh)
        l3 = l3.addingProduct(L(repeating: x3[p]), bl); h3 = h3.addingProduct(H(repeating: x3[p]), bh)
        l4 = l4.addingProduct(L(repeating: x4[p]), bl); h4 = h4.addingProduct(H(repeating: x4[p]), bh)
        l5 = l5.addingProduct(L(repeating: x5[p]), bl); h5 = h5.addingProduct(H(repeating: x5[p]), bh)
        l6 = l6.addingProduct(L(repeating: x6[p]), bl); h6 = h6.addingProduct(H(repeating: x6[p]), bh)
        l7 = l7.addingProduct(L(repeating: x7[p]), bl); h7 = h7.addingProduct(H(repeating: x7[p]), bh)
        b += 24
    }
    store(l0, h0, to: c, accumulate: accumulate); store(l1, h1, to: c + ldc, accumulate: accumulate)
    store(l2, h2, to: c + 2 * ldc, accumulate: accumulate); store(l3, h3, to: c + 3 * ldc, accumulate: accumulate)
    store(l4, h4, to: c + 4 * ldc, accumulate: accumulate); store(l5, h5, to: c + 5 * ldc, accumulate: accumulate)
    store(l6, h6, to: c + 6 * ldc, accumulate: accumulate); store(l7, h7, to: c + 7 * ldc, accumulate: accumulate)
}

/// `row[0..<24] (+)= (low, high)`.
@inline(__always)
private func store(_ low: SIMD16<Float>, _ high: SIMD8<Float>, to row: UnsafeMutablePointer<Float>, accumulate: Bool) {
    let raw = UnsafeMutableRawPointer(row)
    if accumulate {
        raw.storeBytes(of: raw.loadUnaligned(as: SIMD16<Float>.self) + low, as: SIMD16<Float>.self)
        raw.storeBytes(of: raw.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self) + high, toByteOffset: 64, as: SIMD8<Float>.self)
    } else {
        raw.storeBytes(of: low, as: SIMD16<Float>.self)
        raw.storeBytes(of: high, toByteOffset: 64, as: SIMD8<Float>.self)
    }
}

/// LLVM's `llvm.prefetch` (address, 0 = read, locality 2 = second-level cache, 1 = data cache), as `prefetch` in
/// AEPOKernels; it never faults.
@_silgen_name("llvm.prefetch.p0")
private func llvmPrefetch(_ address: UnsafeRawPointer, _ readWrite: Int32, _ locality: Int32, _ cacheType: Int32)
