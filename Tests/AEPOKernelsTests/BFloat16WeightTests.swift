import AEPOCore
@testable import AEPOKernels
@testable import AEPOKernelsAVX512
import XCTest

/// bfloat16 weights: exact conversion, and every kernel that reads weights (`sgemm`'s small-batch and packed paths,
/// with B transposed or not, `PackedWeights`, `Embedding`) giving bit for bit what it gives for float32 weights holding
/// the same values.
final class BFloat16WeightTests: XCTestCase {
    func testConversionIsExactAndRefusesWhatBFloat16CannotHold() {
        XCTAssertEqual(BFloat16(exactly: 1)?.bitPattern, 0x3F80)
        XCTAssertEqual(BFloat16(exactly: -2.5)?.bitPattern, 0xC020)
        XCTAssertEqual(BFloat16(exactly: .infinity)?.bitPattern, 0x7F80)
        XCTAssertNil(BFloat16(exactly: 1 + 0x1p-8), "8 mantissa bits do not fit")
        XCTAssertNil(BFloat16(exactly: .leastNonzeroMagnitude))
        XCTAssertEqual(BFloat16(bitPattern: 0x3FC0).float, 1.5)
        XCTAssertEqual(BFloat16(bitPattern: 0x8001).float.bitPattern, 0x8001_0000)
        // Vector and scalar widening over a length that is not a multiple of 8.
        let values = Self.bfloat16(count: 21, seed: 1)
        var widened = [Float](repeating: .nan, count: values.count)
        values.withUnsafeBufferPointer { BFloat16.widen($0.baseAddress!, into: &widened, count: values.count) }
        XCTAssertEqual(widened.map(\.bitPattern), values.map { UInt32($0.bitPattern) << 16 })
    }

    /// Widening is exact for all 65,536 bfloat16 bit patterns, against the closed form of the value of sign `s`, exponent
    /// `e` and mantissa `m`: `(−1)^s · 2^(e−127) · (1 + m/128)` for `0 < e < 255`, `(−1)^s · 2^−126 · m/128` for `e = 0`
    /// (zeros and subnormals), `±∞` for `e = 255, m = 0` and a NaN of the same payload otherwise; in every form the kernels
    /// read it: `BFloat16.widen` at 16 and 8 lanes (through `load16`, `load8`), the scalar `float`, and the AVX-512
    /// tile's 24-value load where the CPU has AVX-512.
    func testWideningIsExactForEveryBitPattern() throws {
        func closedForm(_ bits: UInt16) -> Float {
            let sign: FloatingPointSign = bits >> 15 == 1 ? .minus : .plus
            let (e, m) = (Int(bits >> 7 & 0xFF), Int(bits & 0x7F))
            switch e {
            case 255: return m == 0 ? Float(sign: sign, exponent: 0, significand: .infinity) : .nan
            case 0: return Float(sign: sign, exponent: -126 - 7, significand: Float(m))
            default: return Float(sign: sign, exponent: e - 127 - 7, significand: Float(128 + m))
            }
        }
        /// The patterns among `bits` that `widened` does not hold exactly.
        func mismatches(_ widened: [Float], _ bits: ArraySlice<UInt16>) -> [UInt16] {
            zip(widened, bits).compactMap { value, bits in
                let expected = closedForm(bits)
                let exact = expected.isNaN ? value.bitPattern == UInt32(bits) << 16 : value == expected && value.sign == expected.sign
                return exact ? nil : bits
            }
        }
        func lanes<Vector: SIMD>(_ v: Vector) -> [Vector.Scalar] { v.indices.map { v[$0] } }
        XCTAssertEqual(closedForm(0x3FC0), 1.5)
        XCTAssertEqual(closedForm(0x8000).sign, .minus)
        XCTAssertEqual(closedForm(0x0001), 0x1p-133)
        let all = (0...UInt16.max).map { $0 }
        let padded = all + all.prefix(24)  // whole 24-value steps
        var bad = mismatches(all.map { BFloat16(bitPattern: $0).float }, all[...])
        padded.withUnsafeBufferPointer { raw in
            raw.baseAddress!.withMemoryRebound(to: BFloat16.self, capacity: padded.count) { p in
                for i in stride(from: 0, to: all.count, by: 16) {
                    bad += mismatches(lanes(BFloat16.load16(p + i)), all[i ..< i + 16])
                    bad += mismatches(lanes(BFloat16.load8(p + i)), all[i ..< i + 8])
                }
            }
        }
        if GemmKernel.avx512Available {
            padded.withUnsafeBufferPointer { p in
                for i in stride(from: 0, to: all.count, by: 24) {
                    let (low, high) = UInt16.load24(p.baseAddress! + i)
                    bad += mismatches(lanes(low) + lanes(high), padded[i ..< i + 24])
                }
            }
        }
        XCTAssertEqual(bad, [], "patterns widened inexactly")
    }

    /// Rounding to the nearest bfloat16 (a KV cache's stores): ties go to the even mantissa, overflow to infinity.
    func testRoundingToNearestEven() {
        XCTAssertEqual(BFloat16(rounding: 1).bitPattern, 0x3F80)
        XCTAssertEqual(BFloat16(rounding: 1 + 0x1p-8).bitPattern, 0x3F80, "a tie rounds to the even 1")
        XCTAssertEqual(BFloat16(rounding: 1 + 0x1p-8 + 0x1p-20).bitPattern, 0x3F81, "above the tie rounds up")
        XCTAssertEqual(BFloat16(rounding: 1 + 0x1p-7 + 0x1p-8).bitPattern, 0x3F82, "a tie rounds to the even 1 + 2⁻⁶")
        XCTAssertEqual(BFloat16(rounding: -(1 + 0x1p-7 + 0x1p-9)).bitPattern, 0xBF81)
        XCTAssertEqual(BFloat16(rounding: .greatestFiniteMagnitude).bitPattern, 0x7F80)
        XCTAssertTrue(BFloat16(rounding: .nan).float.isNaN)
        for value in Self.bfloat16(count: 50, seed: 2).map(\.float) { XCTAssertEqual(BFloat16(rounding: value).float, value) }
    }

    /// Every shape `Linear` uses: `x·Wᵀ` with few rows (matrix-vector path) and many (packed GEMM), and `dY·W`
    /// (packed GEMM, B not transposed); widths around the kernels' tiles, with and without accumulation.
    func testGemmWithBFloat16BIsBitIdenticalToFloat32() {
        for (m, n, k) in [(1, 13, 64), (2, 40, 70), (5, 9, 130), (33, 50, 72), (40, 37, 300)] {
            check(transB: true, m: m, n: n, k: k, beta: 0)
            check(transB: true, m: m, n: n, k: k, beta: 1)
        }
        for (m, n, k) in [(7, 70, 40), (40, 33, 20)] {
            check(transB: false, m: m, n: n, k: k, beta: 0)
            check(transB: false, m: m, n: n, k: k, beta: 1)
        }
    }

    private func check(transB: Bool, m: Int, n: Int, k: Int, beta: Float, file: StaticString = #filePath, line: UInt = #line) {
        let a = KernelTesting.floats(KernelTesting.random(m * k, seed: 3))
        let b = Self.bfloat16(count: n * k, seed: 4)
        let widened = b.map(\.float)
        let initial = KernelTesting.floats(KernelTesting.random(m * n, seed: 5))
        let ldb = transB ? k : n
        var expected = initial, actual = initial
        sgemm(transA: false, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: k, b: widened, ldb: ldb, beta: beta, c: &expected, ldc: n)
        b.withUnsafeBufferPointer { b in
            sgemm(transA: false, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: k, b: .bfloat16(b.baseAddress!), ldb: ldb,
                  beta: beta, c: &actual, ldc: n)
        }
        XCTAssertEqual(actual.map(\.bitPattern), expected.map(\.bitPattern), "m \(m) n \(n) k \(k) transB \(transB)", file: file, line: line)
        // Not trivially equal: the product is far from the initial values.
        XCTAssertNotEqual(actual, initial, file: file, line: line)
    }

    func testPackedWeightsInBFloat16AreBitIdenticalToFloat32AndHalfTheSize() throws {
        let (n, k) = (50, 300)
        let w = Self.bfloat16(count: n * k, seed: 6)
        let widened = w.map(\.float)
        let packed = try w.withUnsafeBufferPointer { try PackedWeights(weight: .bfloat16($0.baseAddress!), outputs: n, inputs: k) }
        let reference = try widened.withUnsafeBufferPointer { try PackedWeights(weight: .float32($0.baseAddress!), outputs: n, inputs: k) }
        XCTAssertEqual(2 * packed.byteCount, reference.byteCount)
        for m in [1, 3, 4, 9] {
            let x = KernelTesting.floats(KernelTesting.random(m * k, seed: UInt64(m)))
            for accumulate in [false, true] {
                var expected = KernelTesting.floats(KernelTesting.random(m * n, seed: 7)), actual = expected
                reference.apply(output: &expected, input: x, rows: m, accumulate: accumulate)
                packed.apply(output: &actual, input: x, rows: m, accumulate: accumulate)
                XCTAssertEqual(actual.map(\.bitPattern), expected.map(\.bitPattern), "rows \(m), accumulate \(accumulate)")
            }
        }
    }

    func testEmbeddingWidensBFloat16Rows() {
        let table = Self.bfloat16(count: 4 * 11, seed: 8)
        let tokens: [Int32] = [3, 0, 3]
        var out = [Float](repeating: .nan, count: 3 * 11)
        table.withUnsafeBufferPointer { Embedding.forward(output: &out, tokens: tokens, table: .bfloat16($0.baseAddress!), count: 3, width: 11) }
        let rows = tokens.flatMap { table[Int($0) * 11..<Int($0) * 11 + 11].map(\.float) }
        XCTAssertEqual(out, rows)
    }

    /// Random bfloat16 values (normal floats with their lower 16 bits cleared).
    static func bfloat16(count: Int, seed: UInt64) -> [BFloat16] {
        KernelTesting.random(count, seed: seed).map { BFloat16(bitPattern: UInt16(Float($0).bitPattern >> 16)) }
    }
}
