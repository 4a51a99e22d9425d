/// Vectorised reductions over float rows (SIMD accumulators: scalar float sums never vectorise).
public enum Reduction {
    /// `Σ a_i · b_i`.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        var i = 0
        while i + 32 <= count {
            acc0.addProduct(load16(a + i), load16(b + i))
            acc1.addProduct(load16(a + i + 16), load16(b + i + 16))
            i += 32
        }
        while i + 16 <= count {
            acc0.addProduct(load16(a + i), load16(b + i))
            i += 16
        }
        var sum = (acc0 + acc1).sum()
        while i < count {
            sum += a[i] * b[i]
            i += 1
        }
        return sum
    }

    /// `Σ a_i · b_i · c_i`.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        var i = 0
        while i + 32 <= count {
            acc0.addProduct(load16(a + i) * load16(b + i), load16(c + i))
            acc1.addProduct(load16(a + i + 16) * load16(b + i + 16), load16(c + i + 16))
            i += 32
        }
        while i + 16 <= count {
            acc0.addProduct(load16(a + i) * load16(b + i), load16(c + i))
            i += 16
        }
        var sum = (acc0 + acc1).sum()
        while i < count {
            sum += a[i] * b[i] * c[i]
            i += 1
        }
        return sum
    }

    /// `Σ a_i²`.
    @inline(__always)
    public static func sumOfSquares(_ a: UnsafePointer<Float>, _ count: Int) -> Float {
        dot(a, a, count)
    }

    /// `max_i a_i` (`-∞` for an empty row).
    @inline(__always)
    public static func maximum(_ a: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = SIMD16<Float>(repeating: -.infinity)
        var i = 0
        while i + 16 <= count {
            let x = load16(a + i)
            acc.replace(with: x, where: x .> acc)
            i += 16
        }
        var result = acc.max()
        while i < count {
            result = Swift.max(result, a[i])
            i += 1
        }
        return result
    }

    /// `y_i += alpha · x_i`.
    @inline(__always)
    public static func addScaled(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ alpha: Float, _ count: Int) {
        var i = 0
        let a = SIMD16<Float>(repeating: alpha)
        while i + 16 <= count {
            store16(load16(y + i).addingProduct(a, load16(x + i)), y + i)
            i += 16
        }
        while i < count {
            y[i] += alpha * x[i]
            i += 1
        }
    }

    @inline(__always)
    static func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    static func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
    }
}
