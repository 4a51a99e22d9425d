import AEPOCore
import AEPOKernelsAVX512

/// A weight matrix `W[outputs, inputs]` (PyTorch's `nn.Linear` layout) copied once into the layout
/// a decode step streams fastest, for `y = x · Wᵀ` on a few rows of `x`.
///
/// The outputs are cut into panels of `panelWidth` (24); panel `q` holds, for each input `p`, the
/// 24 values `W[24q ..< 24q+24, p]` contiguously (zeros past `outputs`). A pass over all rows of `x`
/// then reads W exactly once, front to back as one sequential stream, and every 4 × 24 register tile
/// needs no horizontal sums: each input `p` is three vector loads of W, four broadcasts of `x` and
/// twelve fused multiply-adds. While the first tile of rows runs over a slice of W, the next slice
/// is prefetched into the second-level cache, so the stream from memory overlaps the arithmetic
/// (decoding runs about 15 % faster for it).
///
/// A bfloat16 matrix is packed in bfloat16 (half the memory) and widened exactly as the tile reads it, so it
/// computes what float32 panels of the same values compute, bit for bit. The copy is a snapshot: later changes to
/// the source matrix are not seen.
public final class PackedWeights {
    public let outputs: Int
    public let inputs: Int
    static let panelWidth = 24
    /// Rows of `x` per register tile.
    static let tileRows = 4
    /// Inputs per pass over a panel: a 24 × 256 panel slice (24 KB) stays in L1 while every tile of
    /// `x` rows runs over it.
    static let depthBlock = 256

    private let panels: Int
    /// The panels, in the weight's own type.
    private let storage: WeightPointer
    /// The bytes the panels take.
    public let byteCount: Int

    /// Copies `weight` (`outputs × inputs`, row stride `inputs`) into panels (an `OutOfMemoryError` when they do not fit).
    public init(weight: WeightPointer, outputs: Int, inputs: Int) throws {
        precondition(outputs > 0 && inputs > 0, "empty weight matrix \(outputs)×\(inputs)")
        self.outputs = outputs
        self.inputs = inputs
        panels = (outputs + Self.panelWidth - 1) / Self.panelWidth
        let count = panels * Self.panelWidth * inputs
        switch weight {
        case .float32(let weight):
            let panels = try LargeAllocation.buffer(count, of: Float.self, for: "packed weights", alignment: 64).baseAddress!
            Self.pack(weight, outputs: outputs, inputs: inputs, into: panels)
            (storage, byteCount) = (.float32(panels), 4 * count)
        case .bfloat16(let weight):
            let panels = try LargeAllocation.buffer(count, of: BFloat16.self, for: "packed weights", alignment: 64).baseAddress!
            Self.pack(weight, outputs: outputs, inputs: inputs, into: panels)
            (storage, byteCount) = (.bfloat16(panels), 2 * count)
        }
    }

    /// Copies `weight` into panels of its own type.
    private static func pack<Element: WeightElement>(_ weight: UnsafePointer<Element>, outputs: Int, inputs: Int,
                                                     into storage: UnsafeMutablePointer<Element>) {
        let width = panelWidth
        let zero = Element.zero
        Parallel.forEachChunk((outputs + width - 1) / width) { range in
            for q in range {
                let panel = storage + q * width * inputs
                for c in 0..<width {
                    let j = q * width + c
                    if j < outputs {
                        let row = weight + j * inputs
                        for p in 0..<inputs { panel[p * width + c] = row[p] }
                    } else {
                        for p in 0..<inputs { panel[p * width + c] = zero }
                    }
                }
            }
        }
    }

    deinit {
        switch storage {
        case .float32(let p): LargeAllocation.release(UnsafeMutableRawPointer(mutating: p))
        case .bfloat16(let p): LargeAllocation.release(UnsafeMutableRawPointer(mutating: p))
        }
    }

    /// `output[rows, outputs] = input[rows, inputs] · Wᵀ`, added to `output` when `accumulate`
    /// (both row-major and contiguous). With `accumulate == false` the output is only written.
    /// Threads split the panels; each output is summed in the same order whatever the thread count and `kernel`.
    public func apply(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, rows m: Int, accumulate: Bool = false,
                      kernel: GemmKernel = .current) {
        if m == 0 { return }
        let (n, k, width) = (outputs, inputs, Self.panelWidth)
        let maxThreads = m * n * k < 1 << 18 ? 1 : Int.max
        let tasks = min(panels, 4 * Parallel.effectiveThreadCount)
        // Eight-row tiles where the CPU has AVX-512 (the same results, `GemmKernel`).
        let wide = kernel == .avx512
        Parallel.forEachWorker(tasks, maxThreads: maxThreads) { task, _ in
            for q in Parallel.chunkRange(task, of: tasks, total: panels) {
                let j = q * width
                let cols = min(width, n - j)
                for p0 in stride(from: 0, to: k, by: Self.depthBlock) {
                    let depth = min(Self.depthBlock, k - p0)
                    var t = 0
                    while t < m {
                        if wide && cols == width && m - t >= 2 * Self.tileRows {
                            let (x, c, accumulates) = (input + t * k + p0, output + t * n + j, accumulate || p0 > 0)
                            switch storage {
                            case .float32(let panels):
                                packedWideTile(depth: depth, x: x, ldx: k, panel: panels + (q * k + p0) * width, c: c, ldc: n,
                                               accumulate: accumulates, prefetchesNext: t == 0)
                            case .bfloat16(let panels):
                                let slice = panels + (q * k + p0) * width
                                slice.withMemoryRebound(to: UInt16.self, capacity: depth * width) { slice in
                                    packedWideTile(depth: depth, x: x, ldx: k, panel: slice, c: c, ldc: n,
                                                   accumulate: accumulates, prefetchesNext: t == 0)
                                }
                            }
                            t += 2 * Self.tileRows
                            continue
                        }
                        let tile = min(Self.tileRows, m - t)
                        func row(_ r: Int) -> UnsafePointer<Float> { input + (t + min(r, tile - 1)) * k + p0 }
                        let x = (row(0), row(1), row(2), row(3))
                        let (c, accumulates) = (output + t * n + j, accumulate || p0 > 0)
                        switch storage {
                        case .float32(let panels):
                            packedTile(depth: depth, x: x, panel: panels + (q * k + p0) * width, c: c, ldc: n, rows: tile, cols: cols,
                                       accumulate: accumulates, prefetchesNext: t == 0)
                        case .bfloat16(let panels):
                            packedTile(depth: depth, x: x, panel: panels + (q * k + p0) * width, c: c, ldc: n, rows: tile, cols: cols,
                                       accumulate: accumulates, prefetchesNext: t == 0)
                        }
                        t += Self.tileRows
                    }
                }
            }
        }
    }
}

/// One 4 × 24 tile: `C[t, c] (+)= Σ_{p < depth} x_t[p] · panel[p·24 + c]` for `t < rows`, `c < cols`.
/// Rows past `rows` repeat the last valid row's pointer and are computed but not stored. With
/// `prefetchesNext` (the first tile of a slice), each step also prefetches its 24 values of the slice
/// that follows in storage order (the next depth block, or the next panel's first), which starts
/// `depth · 24` values on; the other tiles reuse the current slice.
@inline(__always)
private func packedTile<Element: WeightElement>(
    depth: Int,
    x: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
    panel: UnsafePointer<Element>, c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, accumulate: Bool,
    prefetchesNext: Bool
) {
    typealias V = SIMD8<Float>
    var c00 = V(), c01 = V(), c02 = V(), c10 = V(), c11 = V(), c12 = V()
    var c20 = V(), c21 = V(), c22 = V(), c30 = V(), c31 = V(), c32 = V()
    var b = panel
    let ahead = depth * PackedWeights.panelWidth
    let stepBytes = PackedWeights.panelWidth * MemoryLayout<Element>.stride
    for p in 0..<depth {
        if prefetchesNext {
            let next = UnsafeRawPointer(b + ahead)
            prefetch(next)
            if stepBytes > 64 { prefetch(next + 64) }
        }
        let b0 = Element.load8(b)
        let b1 = Element.load8(b + 8)
        let b2 = Element.load8(b + 16)
        var s = V(repeating: x.0[p])
        c00 = c00.addingProduct(s, b0); c01 = c01.addingProduct(s, b1); c02 = c02.addingProduct(s, b2)
        s = V(repeating: x.1[p])
        c10 = c10.addingProduct(s, b0); c11 = c11.addingProduct(s, b1); c12 = c12.addingProduct(s, b2)
        s = V(repeating: x.2[p])
        c20 = c20.addingProduct(s, b0); c21 = c21.addingProduct(s, b1); c22 = c22.addingProduct(s, b2)
        s = V(repeating: x.3[p])
        c30 = c30.addingProduct(s, b0); c31 = c31.addingProduct(s, b1); c32 = c32.addingProduct(s, b2)
        b += PackedWeights.panelWidth
    }
    if cols == PackedWeights.panelWidth {
        storeRow(c00, c01, c02, to: c, accumulate: accumulate)
        if rows > 1 { storeRow(c10, c11, c12, to: c + ldc, accumulate: accumulate) }
        if rows > 2 { storeRow(c20, c21, c22, to: c + 2 * ldc, accumulate: accumulate) }
        if rows > 3 { storeRow(c30, c31, c32, to: c + 3 * ldc, accumulate: accumulate) }
        return
    }
    // Last panel: spill the tile and write only its valid columns.
    storeSpilledTile((c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32), width: PackedWeights.panelWidth,
                     rows: rows, cols: cols, to: c, ldc: ldc, alpha: 1, beta: accumulate ? 1 : 0)
}

/// `row[0..<24] (+)= (v0, v1, v2)`.
@inline(__always)
private func storeRow(_ v0: SIMD8<Float>, _ v1: SIMD8<Float>, _ v2: SIMD8<Float>, to row: UnsafeMutablePointer<Float>, accumulate: Bool) {
    let raw = UnsafeMutableRawPointer(row)
    if accumulate {
        raw.storeBytes(of: raw.loadUnaligned(as: SIMD8<Float>.self) + v0, as: SIMD8<Float>.self)
        raw.storeBytes(of: raw.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self) + v1, toByteOffset: 32, as: SIMD8<Float>.self)
        raw.storeBytes(of: raw.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self) + v2, toByteOffset: 64, as: SIMD8<Float>.self)
    } else {
        raw.storeBytes(of: v0, as: SIMD8<Float>.self)
        raw.storeBytes(of: v1, toByteOffset: 32, as: SIMD8<Float>.self)
        raw.storeBytes(of: v2, toByteOffset: 64, as: SIMD8<Float>.self)
    }
}
