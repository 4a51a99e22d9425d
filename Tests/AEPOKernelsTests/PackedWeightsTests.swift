import AEPOCore
@testable import AEPOKernels
import XCTest

/// `PackedWeights.apply` against a double-precision `x · Wᵀ`, over row counts around the 4-row
/// tile, outputs around the 24-wide panel, depths around the SIMD width and the 256-deep block,
/// with and without accumulation, on one thread and on all.
final class PackedWeightsTests: XCTestCase {
    func check(rows m: Int, outputs n: Int, inputs k: Int, accumulate: Bool, threads: Int, seed: UInt64,
               file: StaticString = #filePath, line: UInt = #line) throws {
        var rng = SeededGenerator(seed: seed)
        let x = (0..<(m * k)).map { _ in rng.nextFloat() * 2 - 1 }
        let w = (0..<(n * k)).map { _ in rng.nextFloat() * 2 - 1 }
        let initial = (0..<(m * n)).map { _ in accumulate ? rng.nextFloat() * 2 - 1 : Float.nan }
        var out = initial
        let packed = try w.withUnsafeBufferPointer { try PackedWeights(weight: .float32($0.baseAddress!), outputs: n, inputs: k) }
        x.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { out in
                Parallel.withThreadLimit(threads) {
                    packed.apply(output: out.baseAddress!, input: x.baseAddress!, rows: m, accumulate: accumulate)
                }
            }
        }
        var worst = 0.0
        for t in 0..<m {
            for j in 0..<n {
                var sum = accumulate ? Double(initial[t * n + j]) : 0, magnitude = abs(sum)
                for p in 0..<k {
                    let term = Double(x[t * k + p]) * Double(w[j * k + p])
                    sum += term
                    magnitude += abs(term)
                }
                let got = Double(out[t * n + j])
                worst = max(worst, got.isFinite ? abs(got - sum) / (magnitude + 1e-6) : .infinity)
            }
        }
        XCTAssertLessThan(worst, 1e-5, "rows \(m) outputs \(n) inputs \(k) accumulate \(accumulate) threads \(threads)",
                          file: file, line: line)
    }

    func testMatchesDoublePrecisionProduct() throws {
        var seed: UInt64 = 1
        for m in [1, 2, 3, 4, 5, 7, 16, 33] {
            for (n, k) in [(1, 1), (23, 7), (24, 8), (25, 64), (50, 255), (97, 257), (48, 600)] {
                try check(rows: m, outputs: n, inputs: k, accumulate: seed % 2 == 0, threads: 1, seed: seed)
                seed += 1
            }
        }
    }

    func testThreadedRunsMatchAndAreBitIdentical() throws {
        // Large enough to be split over threads: same result, summed in the same order.
        var rng = SeededGenerator(seed: 9)
        let (m, n, k) = (16, 530, 300)
        let x = (0..<(m * k)).map { _ in rng.nextFloat() - 0.5 }
        let w = (0..<(n * k)).map { _ in rng.nextFloat() - 0.5 }
        let packed = try w.withUnsafeBufferPointer { try PackedWeights(weight: .float32($0.baseAddress!), outputs: n, inputs: k) }
        func run(threads: Int) -> [Float] {
            var out = [Float](repeating: 0, count: m * n)
            Parallel.withThreadLimit(threads) {
                packed.apply(output: &out, input: x, rows: m)
            }
            return out
        }
        XCTAssertEqual(run(threads: 1), run(threads: Parallel.threadCount))
        try check(rows: m, outputs: n, inputs: k, accumulate: true, threads: Parallel.threadCount, seed: 10)
    }

    func testEightRowAVX512TilesEqualTheFourRowTilesBitForBit() throws {
        try XCTSkipUnless(GemmKernel.avx512Available, "this CPU has no AVX-512")
        var rng = SeededGenerator(seed: 11)
        // Eight-row tiles with four-row, ragged and no remainders; a ragged last panel; two depth blocks.
        for (m, n, k) in [(8, 24, 5), (21, 50, 300), (32, 97, 64)] {
            let x = (0..<(m * k)).map { _ in rng.nextFloat() * 2 - 1 }
            let w = (0..<(n * k)).map { _ in rng.nextFloat() * 2 - 1 }
            let start = (0..<(m * n)).map { _ in rng.nextFloat() * 2 - 1 }
            let bits = w.map { BFloat16(bitPattern: UInt16($0.bitPattern >> 16)) }
            for weights in [try w.withUnsafeBufferPointer { try PackedWeights(weight: .float32($0.baseAddress!), outputs: n, inputs: k) },
                            try bits.withUnsafeBufferPointer { try PackedWeights(weight: .bfloat16($0.baseAddress!), outputs: n, inputs: k) }] {
                for accumulate in [false, true] {
                    let results = GemmKernel.allCases.map { kernel in
                        var out = start
                        weights.apply(output: &out, input: x, rows: m, accumulate: accumulate, kernel: kernel)
                        return out.map(\.bitPattern)
                    }
                    XCTAssertEqual(results[0], results[1], "\(m)×\(n)×\(k) accumulate \(accumulate)")
                    XCTAssertNotEqual(results[0], start.map(\.bitPattern))
                }
            }
        }
    }

    func testSnapshotIgnoresLaterChangesToTheSource() throws {
        var w: [Float] = [1, 2, 3, 4]
        let packed = try w.withUnsafeBufferPointer { try PackedWeights(weight: .float32($0.baseAddress!), outputs: 2, inputs: 2) }
        w[0] = 100
        var out: [Float] = [0, 0]
        packed.apply(output: &out, input: [1, 1], rows: 1)
        XCTAssertEqual(out, [3, 7])
    }
}
