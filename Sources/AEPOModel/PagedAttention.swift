import AEPOKernels

/// Decode attention of one row: all its query heads, at one new position, against the cached keys
/// and values of its sequence in one layer, read block by block from a `KVCache`'s pages.
///
/// For each query head `h`, of key-value group `g = h / (queryHeads / keyValueHeads)`:
/// `out_h = Σ_{j < length} softmax_j(q_h·k_{g,j} / √d) · v_{g,j}`.
///
/// Keys are stored transposed per block (`[keyValueHeads][headDim][blockSize]`), so the scores of
/// 16 slots come out of vector accumulators without horizontal sums. Each block's keys (then
/// values) of one layer are read front to back once, all key-value heads in turn, and the query
/// heads of a group are taken two at a time: one load of a key or value vector feeds both. The
/// next block is prefetched while one is worked on (the first block's values during the softmax).
///
/// Keys and values stored in bfloat16 or int8 are widened to float32 in registers as they are loaded
/// (`KVCacheElement`); nothing is copied out of the cache. An int8 key's scale multiplies its score
/// (`q·(s·k) = s·(q·k)`, one vector multiply per 16 slots), and an int8 value's scale multiplies its
/// probability before the weighted sum (`p·(s·v) = (p·s)·v`).
enum PagedAttention {
    /// Where one layer of one sequence lives in the cache (`KVCache.pages(layer:blocks:)`).
    struct Pages {
        /// The base address of each of the sequence's blocks, in position order (`KVCache.base(of:)`).
        var blocks: UnsafePointer<UnsafeMutableRawPointer>
        /// Bytes from a block's base to the layer's keys, `[keyValueHeads][headDim][blockSize]` elements.
        var keyOffset: Int
        /// Bytes from a block's base to the layer's values, `[keyValueHeads][blockSize][headDim]` elements.
        var valueOffset: Int
        /// Bytes from a block's base to the scales of the layer's keys and values, `[keyValueHeads][blockSize]` floats
        /// each (int8 only).
        var keyScaleOffset: Int
        var valueScaleOffset: Int
        var blockSize: Int
        var dataType: KVCacheDataType
    }

    /// Scratch floats `forward` needs for `queryHeads` heads over `length` positions.
    static func scratchCount(queryHeads: Int, length: Int, blockSize: Int) -> Int {
        queryHeads * paddedLength(length, blockSize: blockSize)
    }

    /// `length` rounded up to whole blocks: the scores of a block are written whole.
    private static func paddedLength(_ length: Int, blockSize: Int) -> Int {
        (length + blockSize - 1) / blockSize * blockSize
    }

    /// `queries` and `outputs` hold the row's `queryHeads × headDim` floats, heads concatenated;
    /// `scores` holds `scratchCount(queryHeads:length:blockSize:)` floats.
    static func forward(
        outputs: UnsafeMutablePointer<Float>, queries: UnsafePointer<Float>,
        queryHeads: Int, keyValueHeads: Int, headDim d: Int, length: Int,
        pages: Pages, scores: UnsafeMutablePointer<Float>
    ) {
        func run<Element: KVCacheElement>(_: Element.Type) {
            forward(Element.self, outputs: outputs, queries: queries, queryHeads: queryHeads, keyValueHeads: keyValueHeads,
                    headDim: d, length: length, pages: pages, scores: scores)
        }
        switch pages.dataType {
        case .float32: run(Float.self)
        case .bfloat16: run(BFloat16.self)
        case .int8: run(Int8.self)
        }
    }

    private static func forward<Element: KVCacheElement>(
        _: Element.Type, outputs: UnsafeMutablePointer<Float>, queries: UnsafePointer<Float>,
        queryHeads: Int, keyValueHeads: Int, headDim d: Int, length: Int,
        pages: Pages, scores: UnsafeMutablePointer<Float>
    ) {
        precondition(length > 0 && queryHeads % keyValueHeads == 0, "attention over no positions or uneven groups")
        let bs = pages.blockSize
        let group = queryHeads / keyValueHeads
        let stride = paddedLength(length, blockSize: bs)
        let scale = 1 / Float(d).squareRoot()
        let blockCount = stride / bs
        let groupBytes = d * bs * MemoryLayout<Element>.stride
        /// Calls `body(block, start, filled, g, h0, h1)` for every block in position order, every
        /// key-value group `g` and every pair of its query heads (an odd group's last head pairs with itself).
        func forEachPair(_ body: (_ block: Int, _ start: Int, _ filled: Int, _ g: Int, _ h0: Int, _ h1: Int) -> Void) {
            for b in 0..<blockCount {
                let start = b * bs
                for g in 0..<keyValueHeads {
                    for h in Swift.stride(from: g * group, to: (g + 1) * group, by: 2) {
                        body(b, start, min(bs, length - start), g, h, min(h + 1, (g + 1) * group - 1))
                    }
                }
            }
        }

        /// Group `g`'s keys (`offset` = `pages.keyOffset`) or values (`pages.valueOffset`) in block `b`.
        func part(_ b: Int, _ g: Int, offset: Int) -> UnsafePointer<Element> {
            UnsafeRawPointer(pages.blocks[b] + offset + g * groupBytes).assumingMemoryBound(to: Element.self)
        }
        /// The scales of group `g`'s keys (`offset` = `pages.keyScaleOffset`) or values in block `b`.
        func scales(_ b: Int, _ g: Int, offset: Int) -> UnsafeMutablePointer<Float> {
            (pages.blocks[b] + offset).assumingMemoryBound(to: Float.self) + g * bs
        }
        /// While a group's first pair works on block `b`, that group's part of block `b + 1` (and its
        /// scales) is fetched (`prefetch`): a sequence's blocks are scattered over the pool, so the
        /// hardware prefetcher cannot follow them.
        func prefetchNext(_ b: Int, _ g: Int, _ h0: Int, offset: Int, scaleOffset: Int) {
            guard h0 == g * group, b + 1 < blockCount else { return }
            prefetch(part(b + 1, g, offset: offset), byteCount: groupBytes)
            if Element.isScaled { prefetch(scales(b + 1, g, offset: scaleOffset), byteCount: bs * MemoryLayout<Float>.stride) }
        }

        forEachPair { b, start, filled, g, h0, h1 in
            prefetchNext(b, g, h0, offset: pages.keyOffset, scaleOffset: pages.keyScaleOffset)
            blockScores(scores + h0 * stride + start, scores + h1 * stride + start,
                        q0: queries + h0 * d, q1: queries + h1 * d, keys: part(b, g, offset: pages.keyOffset),
                        keyScales: Element.isScaled ? UnsafePointer(scales(b, g, offset: pages.keyScaleOffset)) : nil,
                        d: d, blockSize: bs, filled: filled, scale: scale)
        }
        // The first block's values arrive during the softmax.
        prefetch(part(0, 0, offset: pages.valueOffset), byteCount: keyValueHeads * groupBytes)
        for h in 0..<queryHeads {
            let s = scores + h * stride
            let total = VectorMath.expInPlace(s, count: length, subtracting: Reduction.maximum(s, length))
            VectorMath.scale(s, count: length, by: 1 / total)
        }
        outputs.update(repeating: 0, count: queryHeads * d)
        forEachPair { b, start, filled, g, h0, h1 in
            prefetchNext(b, g, h0, offset: pages.valueOffset, scaleOffset: pages.valueScaleOffset)
            let (p0, p1) = (scores + h0 * stride + start, scores + h1 * stride + start)
            if Element.isScaled {
                // Each head's probabilities of this block are scaled once (a head paired with itself is one head).
                let valueScales = scales(b, g, offset: pages.valueScaleOffset)
                for slot in 0..<filled { p0[slot] *= valueScales[slot] }
                if h1 != h0 { for slot in 0..<filled { p1[slot] *= valueScales[slot] } }
            }
            blockValues(outputs + h0 * d, h1 == h0 ? nil : outputs + h1 * d, p0: p0, p1: p1,
                        values: part(b, g, offset: pages.valueOffset), d: d, filled: filled)
        }
    }

    /// `s0[slot] = scale · q0·k_slot` and `s1[slot] = scale · q1·k_slot` for the `filled` slots of one
    /// block, whose keys are `[d][blockSize]` (`s1` may alias `s0` when `q1` is `q0`), each key times its
    /// scale in `keyScales` when the keys have scales. Lanes past `filled` in the last vector are written
    /// too and ignored.
    @inline(__always)
    private static func blockScores<Element: KVCacheElement>(
        _ s0: UnsafeMutablePointer<Float>, _ s1: UnsafeMutablePointer<Float>,
        q0: UnsafePointer<Float>, q1: UnsafePointer<Float>, keys: UnsafePointer<Element>, keyScales: UnsafePointer<Float>?,
        d: Int, blockSize bs: Int, filled: Int, scale: Float
    ) {
        var slot = 0
        while slot + 16 <= bs && slot < filled {
            let (a, b) = weightedSums(q0, q1, vectors: keys + slot, stride: bs, count: d)
            let factor = keyScales.map { Float.load16($0 + slot) * scale } ?? SIMD16(repeating: scale)
            store16(a * factor, s0 + slot)
            store16(b * factor, s1 + slot)
            slot += 16
        }
        while slot < filled {
            var x0: Float = 0, x1: Float = 0
            for i in 0..<d {
                let k = keys[i * bs + slot].float
                x0 += q0[i] * k
                x1 += q1[i] * k
            }
            let factor = keyScales.map { $0[slot] * scale } ?? scale
            s0[slot] = x0 * factor
            s1[slot] = x1 * factor
            slot += 1
        }
    }

    /// `o0 += Σ_slot p0[slot] · v_slot` and, when `o1` is given, `o1 += Σ_slot p1[slot] · v_slot`, over
    /// the `filled` slots of one block whose values are `[blockSize][d]`.
    @inline(__always)
    private static func blockValues<Element: KVCacheElement>(
        _ o0: UnsafeMutablePointer<Float>, _ o1: UnsafeMutablePointer<Float>?,
        p0: UnsafePointer<Float>, p1: UnsafePointer<Float>, values: UnsafePointer<Element>, d: Int, filled: Int
    ) {
        var lane = 0
        while lane + 16 <= d {
            let (a, b) = weightedSums(p0, p1, vectors: values + lane, stride: d, count: filled)
            store16(Float.load16(o0 + lane) + a, o0 + lane)
            if let o1 { store16(Float.load16(o1 + lane) + b, o1 + lane) }
            lane += 16
        }
        guard lane < d else { return }
        for slot in 0..<filled {
            let v = values + slot * d
            for i in lane..<d { o0[i] += p0[slot] * v[i].float }
            if let o1 {
                for i in lane..<d { o1[i] += p1[slot] * v[i].float }
            }
        }
    }

    /// `(Σ_x c0[x] · v_x, Σ_x c1[x] · v_x)` over `count` vectors of 16 elements, `v_x` at `vectors + x·stride`:
    /// each vector is loaded once for both sums. Even and odd `x` go to separate accumulators, so
    /// four FMA chains run independently.
    @inline(__always)
    private static func weightedSums<Element: KVCacheElement>(
        _ c0: UnsafePointer<Float>, _ c1: UnsafePointer<Float>, vectors: UnsafePointer<Element>, stride: Int, count: Int
    ) -> (SIMD16<Float>, SIMD16<Float>) {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), b0 = SIMD16<Float>(), b1 = SIMD16<Float>()
        var x = 0
        while x + 2 <= count {
            let v0 = Element.load16(vectors + x * stride), v1 = Element.load16(vectors + (x + 1) * stride)
            a0.addProduct(c0[x], v0)
            b0.addProduct(c1[x], v0)
            a1.addProduct(c0[x + 1], v1)
            b1.addProduct(c1[x + 1], v1)
            x += 2
        }
        if x < count {
            let v0 = Element.load16(vectors + x * stride)
            a0.addProduct(c0[x], v0)
            b0.addProduct(c1[x], v0)
        }
        return (a0 + a1, b0 + b1)
    }

    @inline(__always)
    private static func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
    }
}
