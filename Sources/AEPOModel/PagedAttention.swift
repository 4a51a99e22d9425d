import AEPOKernels

/// Decode attention: the query heads of one key-value group, at one new position, against the
/// cached keys and values of their sequence, read block by block from a `KVCache`.
///
/// For each query head `h` of the group: `out_h = Σ_{j < length} softmax_j(q_h·k_j / √d) · v_j`,
/// where `k_j`, `v_j` are the cached key and value of key-value head `kvHead` at position `j`.
/// Keys are stored transposed per block (`[headDim][blockSize]` per head), so the scores of 16
/// slots come out of vector accumulators without horizontal sums; each block is read from
/// memory once for all heads of the group (grouped-query attention shares it).
enum PagedAttention {
    /// Scratch floats `forward` needs per query head for a sequence of `length` positions.
    static func scratchCount(length: Int, blockSize: Int) -> Int {
        (length + blockSize - 1) / blockSize * blockSize + 16
    }

    /// `queries` and `outputs` hold the group's `heads` query heads contiguously (`heads × d`);
    /// `scores` holds `heads × scratchCount(length:blockSize:)` floats.
    static func forward(
        outputs: UnsafeMutablePointer<Float>, queries: UnsafePointer<Float>, heads: Int, kvHead: Int,
        length: Int, blocks: [Int], cache: KVCache, layer: Int, scores: UnsafeMutablePointer<Float>
    ) {
        let (bs, d) = (cache.blockSize, cache.headDim)
        let stride = scratchCount(length: length, blockSize: bs)
        let scale = 1 / Float(d).squareRoot()
        var start = 0
        for block in blocks where start < length {
            let keys = UnsafePointer(cache.keys(layer: layer, block: block) + kvHead * d * bs)
            let filled = min(bs, length - start)
            for h in 0..<heads {
                blockScores(scores + h * stride + start, query: queries + h * d, keys: keys, d: d, blockSize: bs,
                            filled: filled, scale: scale)
            }
            start += filled
        }
        outputs.update(repeating: 0, count: heads * d)
        var inverseSums = [Float](repeating: 0, count: heads)
        for h in 0..<heads {
            let s = scores + h * stride
            inverseSums[h] = 1 / VectorMath.expInPlace(s, count: length, subtracting: maximum(s, length))
        }
        start = 0
        for block in blocks where start < length {
            let values = UnsafePointer(cache.values(layer: layer, block: block) + kvHead * bs * d)
            let filled = min(bs, length - start)
            for h in 0..<heads {
                blockValues(outputs + h * d, probabilities: scores + h * stride + start, values: values, d: d,
                            filled: filled)
            }
            start += filled
        }
        for h in 0..<heads {
            for i in 0..<d { outputs[h * d + i] *= inverseSums[h] }
        }
    }

    /// `scores[s] = scale · q·k_s` for the `filled` slots of one block (lanes past `filled` in
    /// the last vector are written too and ignored). Several accumulators, so the FMAs do not
    /// wait on each other's latency.
    @inline(__always)
    private static func blockScores(
        _ scores: UnsafeMutablePointer<Float>, query: UnsafePointer<Float>, keys: UnsafePointer<Float>,
        d: Int, blockSize bs: Int, filled: Int, scale: Float
    ) {
        var slot = 0
        while slot + 16 <= bs && slot < filled {
            var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
            let k = keys + slot
            var i = 0
            while i + 4 <= d {
                a0.addProduct(query[i], load16(k + i * bs))
                a1.addProduct(query[i + 1], load16(k + (i + 1) * bs))
                a2.addProduct(query[i + 2], load16(k + (i + 2) * bs))
                a3.addProduct(query[i + 3], load16(k + (i + 3) * bs))
                i += 4
            }
            while i < d {
                a0.addProduct(query[i], load16(k + i * bs))
                i += 1
            }
            store16(((a0 + a1) + (a2 + a3)) * scale, scores + slot)
            slot += 16
        }
        while slot < filled {
            var acc: Float = 0
            for i in 0..<d { acc += query[i] * keys[i * bs + slot] }
            scores[slot] = acc * scale
            slot += 1
        }
    }

    /// `out += Σ_s p_s · v_s` over the `filled` slots of one block (`v_s` at `values + s·d`).
    @inline(__always)
    private static func blockValues(
        _ out: UnsafeMutablePointer<Float>, probabilities p: UnsafePointer<Float>, values: UnsafePointer<Float>,
        d: Int, filled: Int
    ) {
        let width = d
        var lane = 0
        while lane + 16 <= d {
            var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
            let v = values + lane
            var slot = 0
            while slot + 4 <= filled {
                a0.addProduct(p[slot], load16(v + slot * width))
                a1.addProduct(p[slot + 1], load16(v + (slot + 1) * width))
                a2.addProduct(p[slot + 2], load16(v + (slot + 2) * width))
                a3.addProduct(p[slot + 3], load16(v + (slot + 3) * width))
                slot += 4
            }
            while slot < filled {
                a0.addProduct(p[slot], load16(v + slot * width))
                slot += 1
            }
            store16(load16(out + lane) + ((a0 + a1) + (a2 + a3)), out + lane)
            lane += 16
        }
        for slot in 0..<filled where lane < d {
            let v = values + slot * width
            for i in lane..<d { out[i] += p[slot] * v[i] }
        }
    }

    /// `max_i x_i` with four independent comparison chains.
    @inline(__always)
    private static func maximum(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
        var m0 = -Float.infinity, m1 = m0, m2 = m0, m3 = m0
        var i = 0
        while i + 4 <= count {
            m0 = max(m0, x[i]); m1 = max(m1, x[i + 1]); m2 = max(m2, x[i + 2]); m3 = max(m3, x[i + 3])
            i += 4
        }
        while i < count {
            m0 = max(m0, x[i])
            i += 1
        }
        return max(max(m0, m1), max(m2, m3))
    }

    @inline(__always)
    private static func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    private static func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
    }
}
