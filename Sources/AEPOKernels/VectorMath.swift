/// Vectorised elementwise math over float buffers: a SIMD16 `exp` (about 6× faster than `expf`
/// per element) and the loops softmax-like kernels need around it. Dot products, maxima and
/// `y += αx` are in `Reduction`.
public enum VectorMath {
    /// `eˣ` lane by lane, relative error ≲ 2·10⁻⁷ wherever the result is a normal float.
    ///
    /// Range reduction `x = n·ln2 + r`, `|r| ≤ ln2/2`, with `n = round(x/ln2)` and `ln2` split in a
    /// high part exact in float and a low correction; then `eʳ` by its degree-7 Taylor polynomial
    /// (truncation error `|r|⁸/8! < 6·10⁻⁹`) and `eˣ = eʳ · 2^⌊n/2⌋ · 2^(n−⌊n/2⌋)`, two exact scalings
    /// that keep every intermediate in range and give gradual underflow. Results: `+∞` above
    /// ~88.72, denormals then `0` below ~−87.3 (exactly 0 below ~−103.9), NaN for NaN.
    @inline(__always)
    public static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> {
        typealias V = SIMD16<Float>
        // Beyond these bounds the result is already 0 or ∞; clamping keeps n a small integer.
        let clamped = pointwiseMin(pointwiseMax(x, V(repeating: -104)), V(repeating: 89))
        // Adding 1.5·2²³ rounds x/ln2 to an integer held in the low mantissa bits of t.
        let shifter = V(repeating: 12_582_912)
        let t = shifter.addingProduct(clamped, V(repeating: 1.442_695_04))
        let n = t - shifter
        var r = clamped.addingProduct(n, V(repeating: -0.693_145_751_953_125))  // ln2 high part, 11 bits
        r = r.addingProduct(n, V(repeating: -1.428_606_820_309_417_2e-6))      // ln2 − high part
        var p = V(repeating: 1.0 / 5040)
        p = V(repeating: 1.0 / 720).addingProduct(p, r)
        p = V(repeating: 1.0 / 120).addingProduct(p, r)
        p = V(repeating: 1.0 / 24).addingProduct(p, r)
        p = V(repeating: 1.0 / 6).addingProduct(p, r)
        p = V(repeating: 0.5).addingProduct(p, r)
        p = V(repeating: 1).addingProduct(p, r)
        p = V(repeating: 1).addingProduct(p, r)
        let integer = unsafeBitCast(t, to: SIMD16<Int32>.self) &- unsafeBitCast(shifter, to: SIMD16<Int32>.self)
        let half = integer &>> 1
        let scale1 = unsafeBitCast((half &+ 127) &<< 23, to: V.self)
        let scale2 = unsafeBitCast((integer &- half &+ 127) &<< 23, to: V.self)
        let result = p * scale1 * scale2
        return result.replacing(with: x, where: x .!= x)
    }

    /// `x_i ← exp(x_i − shift)`, returning `Σ_i exp(x_i − shift)`: with `shift = max_i x_i`, the
    /// numerators and normaliser of a softmax.
    @discardableResult
    public static func expInPlace(_ x: UnsafeMutablePointer<Float>, count: Int, subtracting shift: Float = 0) -> Float {
        let s = SIMD16<Float>(repeating: shift)
        var total = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            let e = exp(Reduction.load16(x + i) - s)
            Reduction.store16(e, x + i)
            total += e
            i += 16
        }
        if i < count {
            // The tail goes through the same polynomial, in a zero-padded vector.
            var v = SIMD16<Float>(repeating: -.infinity)
            for j in 0..<(count - i) { v[j] = x[i + j] - shift }
            let e = exp(v)
            for j in 0..<(count - i) { x[i + j] = e[j] }
            total += e
        }
        return total.sum()
    }

    /// `x_i ← factor · x_i`.
    public static func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        let f = SIMD16<Float>(repeating: factor)
        var i = 0
        while i + 16 <= count {
            Reduction.store16(Reduction.load16(x + i) * f, x + i)
            i += 16
        }
        while i < count {
            x[i] *= factor
            i += 1
        }
    }
}
