import AEPOCore
@testable import AEPOKernels
import XCTest

/// `sgemm` against a naive double-precision product, over odd shapes, every transposition,
/// alpha/beta, padded strides, the small-batch path and serial versus threaded runs.
final class GemmTests: XCTestCase {
    /// A row-major matrix stored with a row stride of at least its width.
    struct Matrix {
        var rows: Int, cols: Int, stride: Int
        var values: [Float]

        init(rows: Int, cols: Int, padding: Int, rng: inout SeededGenerator) {
            self.rows = rows
            self.cols = cols
            stride = cols + padding
            values = (0..<(max(rows, 1) * stride)).map { _ in rng.nextFloat() * 2 - 1 }
        }

        func element(_ i: Int, _ j: Int, transposed: Bool) -> Double {
            Double(transposed ? values[j * stride + i] : values[i * stride + j])
        }
    }

    struct Case {
        var transA: Bool, transB: Bool, m: Int, n: Int, k: Int
        var alpha: Float = 1, beta: Float = 0
        var padding = 0
        /// Call the matrix–vector path directly, whatever `sgemm` would choose for this shape.
        var forceSmallBatch = false
    }

    /// Runs one case through `sgemmNative` and checks every element against the double-precision
    /// product, relative to `Σ|a·b|` (the scale of the rounding error); padding columns of C must
    /// stay untouched.
    func check(_ c: Case, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        var rng = SeededGenerator(seed: seed)
        let a = c.transA ? Matrix(rows: c.k, cols: c.m, padding: c.padding, rng: &rng)
                         : Matrix(rows: c.m, cols: c.k, padding: c.padding, rng: &rng)
        let b = c.transB ? Matrix(rows: c.n, cols: c.k, padding: c.padding, rng: &rng)
                         : Matrix(rows: c.k, cols: c.n, padding: c.padding, rng: &rng)
        var out = Matrix(rows: c.m, cols: c.n, padding: c.padding + 1, rng: &rng)
        if c.beta == 0 {
            // beta == 0 must overwrite, never read: poison the output.
            for i in 0..<c.m { for j in 0..<c.n { out.values[i * out.stride + j] = .nan } }
        }
        let original = out.values
        withGemmOperands(transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: c.alpha,
                         a: a.values, lda: a.stride, b: b.values, ldb: b.stride, beta: c.beta, c: &out.values, ldc: out.stride) {
            c.forceSmallBatch ? sgemmSmallBatch($0) : sgemmNative($0)
        }
        var worst = 0.0
        for i in 0..<c.m {
            for j in 0..<c.n {
                var sum = 0.0, magnitude = 0.0
                for p in 0..<c.k {
                    let term = a.element(i, p, transposed: c.transA) * b.element(p, j, transposed: c.transB)
                    sum += term
                    magnitude += abs(term)
                }
                let old = c.beta == 0 ? 0 : Double(c.beta) * Double(original[i * out.stride + j])
                let expected = Double(c.alpha) * sum + old
                let got = Double(out.values[i * out.stride + j])
                let scale = abs(Double(c.alpha)) * magnitude + abs(old) + 1e-6
                worst = max(worst, got.isFinite ? abs(got - expected) / scale : .infinity)
            }
            for j in c.n..<out.stride {
                XCTAssertEqual(out.values[i * out.stride + j], original[i * out.stride + j],
                               "padding of C written at (\(i), \(j)) in \(c)", file: file, line: line)
            }
        }
        XCTAssertLessThan(worst, 1e-5, "\(c)", file: file, line: line)
    }

    func testAllTranspositionsOnOddShapes() {
        let sizes = [1, 5, 17, 33]
        var seed: UInt64 = 1
        for transA in [false, true] {
            for transB in [false, true] {
                for m in sizes {
                    for (n, k) in [(1, 5), (17, 33), (33, 1), (5, 17)] {
                        check(Case(transA: transA, transB: transB, m: m, n: n, k: k), seed: seed)
                        seed += 1
                    }
                }
            }
        }
    }

    func testBlockEdgesAndDepthPanels() {
        // Crosses the mc (120), kc (256) and nr/mr tile boundaries with ragged remainders.
        for (transA, transB) in [(false, true), (false, false), (true, false), (true, true)] {
            check(Case(transA: transA, transB: transB, m: 127, n: 35, k: 300, alpha: 0.5, beta: 0.25, padding: 3), seed: 90)
        }
        check(Case(transA: false, transB: true, m: 100, n: 100, k: 100), seed: 91)
    }

    func testWideOutputsCrossTheColumnPanel() {
        // n > nc exercises more than one packed B panel.
        check(Case(transA: false, transB: false, m: 7, n: GemmBlocking.nc + 21, k: 9, beta: 1), seed: 92)
        check(Case(transA: true, transB: true, m: 19, n: GemmBlocking.nc + 3, k: 5, alpha: 2), seed: 93)
    }

    func testDepthPanelGroupsSumAsOnePanelAtATime() {
        // With A in place, B's kc-deep panels are packed in groups (here two column groups, the first two depth
        // groups deep): each element must still be the sum of separate one-panel calls, the first with beta, bit for bit.
        let (m, n, k, kc) = (smallBatchLimit + 12, GemmBlocking.groupColumns + 48, GemmBlocking.groupFloats / GemmBlocking.groupColumns + 300, GemmBlocking.kc)
        var rng = SeededGenerator(seed: 94)
        let a = (0..<(m * k)).map { _ in rng.nextFloat() * 2 - 1 }
        let b = (0..<(k * n)).map { _ in rng.nextFloat() * 2 - 1 }
        let start = (0..<(m * n)).map { _ in rng.nextFloat() * 2 - 1 }
        for kernel in GemmKernel.avx512Available ? [GemmKernel.base, .avx512] : [.base] {
            for transB in [true, false] {
                func product(depths: StrideTo<Int>, width: Int) -> [Float] {
                    var c = start
                    for p0 in depths {
                        let depth = min(width, k - p0)
                        let panelA = Array(a.indices.lazy.filter { $0 % k >= p0 && $0 % k < p0 + depth }.map { a[$0] })
                        let panelB = transB ? Array(b.indices.lazy.filter { $0 % k >= p0 && $0 % k < p0 + depth }.map { b[$0] })
                                            : Array(b[(p0 * n)..<((p0 + depth) * n)])
                        withGemmOperands(transA: false, transB: transB, m: m, n: n, k: depth, alpha: 0.75, a: panelA, lda: depth,
                                         b: panelB, ldb: transB ? depth : n, beta: p0 == 0 ? 0.5 : 1, c: &c, ldc: n) { operands in
                            var operands = operands
                            operands.kernel = kernel
                            sgemmNative(operands)
                        }
                    }
                    return c
                }
                let whole = product(depths: stride(from: 0, to: k, by: k), width: k)
                let panels = product(depths: stride(from: 0, to: k, by: kc), width: kc)
                XCTAssertEqual(whole.map(\.bitPattern), panels.map(\.bitPattern), "kernel \(kernel) transB \(transB)")
            }
        }
    }

    func testAlphaBetaAndPaddedStrides() {
        for (alpha, beta): (Float, Float) in [(1, 1), (-0.5, 2), (2, 0), (1, -1)] {
            for (transA, transB) in [(false, true), (false, false), (true, false)] {
                check(Case(transA: transA, transB: transB, m: 23, n: 29, k: 41, alpha: alpha, beta: beta, padding: 7), seed: 7)
            }
        }
    }

    func testSmallBatchPath() {
        // m ≤ smallBatchLimit with transB and k ≥ 64 takes the matrix–vector path: every row-group
        // size, ragged W-row chunks, and k with and without a SIMD tail (short k called directly).
        var seed: UInt64 = 200
        for m in [1, 2, 3, 4, 5, 6, 8, 13, smallBatchLimit] {
            for (n, k) in [(1, 1), (7, 9), (50, 64), (97, 203)] {
                let direct = k < smallBatchMinimumDepth
                check(Case(transA: false, transB: true, m: m, n: n, k: k, alpha: 1.5, beta: m % 2 == 0 ? 0 : 0.5,
                           padding: 2, forceSmallBatch: direct), seed: seed)
                check(Case(transA: true, transB: true, m: m, n: n, k: k, padding: 1, forceSmallBatch: direct), seed: seed + 1)
                seed += 2
            }
        }
    }

    func testZeroDepthAndZeroAlphaScaleC() {
        var c: [Float] = [1, 2, .nan, 4]
        let a: [Float] = [1], b: [Float] = [1]
        sgemmNative(transA: false, transB: false, m: 2, n: 2, k: 0, alpha: 1, a: a, lda: 1, b: b, ldb: 2, beta: 0, c: &c, ldc: 2)
        XCTAssertEqual(c, [0, 0, 0, 0])
        c = [1, 2, 3, 4]
        sgemmNative(transA: false, transB: false, m: 2, n: 2, k: 1, alpha: 0, a: [5, 5], lda: 1, b: [5, 5], ldb: 2, beta: 3, c: &c, ldc: 2)
        XCTAssertEqual(c, [3, 6, 9, 12])
    }

    func testThreadedMatchesSerial() {
        var rng = SeededGenerator(seed: 5)
        let (m, n, k) = (130, 70, 280)
        let a = (0..<(m * k)).map { _ in rng.nextFloat() - 0.5 }
        let b = (0..<(n * k)).map { _ in rng.nextFloat() - 0.5 }
        for (transB, rows) in [(true, m), (false, m), (true, 9)] {
            func run(threads: Int) -> [Float] {
                var c = [Float](repeating: 0, count: rows * n)
                Parallel.withThreadLimit(threads) {
                    sgemmNative(transA: false, transB: transB, m: rows, n: n, k: k, alpha: 1, a: a, lda: k,
                                b: b, ldb: transB ? k : n, beta: 0, c: &c, ldc: n)
                }
                return c
            }
            // Every element is summed in the same order whatever the thread count: bit-identical.
            XCTAssertEqual(run(threads: 1), run(threads: Parallel.threadCount), "transB \(transB) rows \(rows)")
        }
    }

    func testNestedCallsInsideAParallelLoop() {
        // Several products at once from a parallel loop (as attention does per head): each call
        // gets its own packing buffers and runs serially on its thread; results match serial calls.
        var rng = SeededGenerator(seed: 6)
        let (m, n, k, tasks) = (70, 40, 33, 6)
        let a = (0..<(tasks * m * k)).map { _ in rng.nextFloat() - 0.5 }
        let b = (0..<(n * k)).map { _ in rng.nextFloat() - 0.5 }
        var expected = [Float](repeating: 0, count: tasks * m * n)
        for t in 0..<tasks {
            var c = [Float](repeating: 0, count: m * n)
            sgemmNative(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: Array(a[(t * m * k)..<((t + 1) * m * k)]),
                        lda: k, b: b, ldb: k, beta: 0, c: &c, ldc: n)
            expected.replaceSubrange((t * m * n)..<((t + 1) * m * n), with: c)
        }
        var got = [Float](repeating: .nan, count: tasks * m * n)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                got.withUnsafeMutableBufferPointer { c in
                    let (pa, pb, pc) = (a.baseAddress!, b.baseAddress!, c.baseAddress!)
                    Parallel.forEach(tasks) { t in
                        if Parallel.threadCount > 1 { XCTAssertEqual(Parallel.availableThreadCount, 1) }
                        sgemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: pa + t * m * k, lda: k,
                              b: pb, ldb: k, beta: 0, c: pc + t * m * n, ldc: n)
                    }
                }
            }
        }
        XCTAssertEqual(got, expected)
    }
}
