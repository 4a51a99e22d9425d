import AEPOCore
@testable import AEPOKernels
import XCTest

/// `sgemm(…, adding:)` gives the product and then its low-rank terms exactly as separate `sgemm` calls with `beta = 1`
/// give them (bit for bit), where the packed path adds them to its register tiles (both kernels; ranks deeper than a
/// depth panel; terms over slivers, to C's end, overlapping; V stored as it is or transposed) and where it adds them
/// after; and the sums are those of double precision.
final class LowRankTermTests: XCTestCase {
    struct Operands {
        var a: [Float], b: [Float], c: [Float]
        /// `v` is `[columns.count, rank]`, or `[rank, columns.count]` when `vTransposed`.
        var terms: [(columns: Range<Int>, u: [Float], v: [Float], rank: Int, alpha: Float, vTransposed: Bool)]
    }

    /// Random operands; with `transposingV`, every other term holds `Vᵀ`.
    func operands(m: Int, n: Int, k: Int, terms: [(Range<Int>, Int)], seed: UInt64, transposingV: Bool = false) -> Operands {
        var rng = SeededGenerator(seed: seed)
        func values(_ count: Int) -> [Float] { (0..<count).map { _ in rng.nextFloat() * 2 - 1 } }
        return Operands(a: values(m * k), b: values(k * n), c: values(m * n), terms: terms.enumerated().map { i, term in
            (term.0, values(m * term.1), values(term.0.count * term.1), term.1, 0.5 + Float(i), transposingV && i % 2 == 0)
        })
    }

    /// C from one call with the terms (`fused`), or from the product's call and then one call per term.
    func result(_ o: Operands, kernel: GemmKernel, transB: Bool, m: Int, n: Int, k: Int, beta: Float, fused: Bool,
                expectFusion: Bool = false) -> [Float] {
        var c = o.c
        let buffers = o.terms.map { (UnsafeMutableBufferPointer<Float>.allocate(capacity: $0.u.count),
                                     UnsafeMutableBufferPointer<Float>.allocate(capacity: $0.v.count)) }
        defer { buffers.forEach { $0.0.deallocate(); $0.1.deallocate() } }
        let terms = zip(o.terms, buffers).map { term, buffer in
            _ = buffer.0.initialize(from: term.u)
            _ = buffer.1.initialize(from: term.v)
            return LowRankTerm(columns: term.columns, u: buffer.0.baseAddress!, v: buffer.1.baseAddress!, rank: term.rank, alpha: term.alpha,
                               vTransposed: term.vTransposed)
        }
        withGemmOperands(transA: false, transB: transB, m: m, n: n, k: k, alpha: 0.75, a: o.a, lda: k, b: o.b,
                         ldb: transB ? k : n, beta: beta, c: &c, ldc: n) { operands in
            var operands = operands
            operands.kernel = kernel
            if fused {
                operands.terms = terms
                if expectFusion { XCTAssertTrue(operands.fusesTerms, "\(m)×\(n)×\(k) should add its terms to the tiles") }
                sgemmNative(operands)
            } else {
                sgemmNative(operands)
                for term in terms { term.add(m: m, to: operands.c, ldc: n) }
            }
        }
        return c
    }

    func testTermsAddedToTheTilesEqualSeparateCallsBitForBit() {
        let kernels: [GemmKernel] = GemmKernel.avx512Available ? [.base, .avx512] : [.base]
        var seed: UInt64 = 1
        // Rows in place over one and two column panels (nc = 4,080), one and two depth panels, ragged rows and columns;
        // terms over whole slivers, to C's end, overlapping, and one deeper than a depth panel (kc = 256).
        let cases: [(m: Int, n: Int, k: Int, terms: [(Range<Int>, Int)])] = [
            (40, 100, 300, [(0..<48, 5), (48..<100, 20), (16..<64, 300)]),
            (130, 4200, 70, [(0..<2048, 16), (2048..<3072, 16), (3072..<4200, 3)]),
            (45, 37, 20, [(0..<37, 7)]),
        ]
        for (m, n, k, terms) in cases {
            for kernel in kernels {
                for (transB, transposingV) in [(true, false), (false, false), (false, true), (true, true)] {
                    for beta: Float in [0, 1] {
                        let o = operands(m: m, n: n, k: k, terms: terms, seed: seed, transposingV: transposingV)
                        let fused = result(o, kernel: kernel, transB: transB, m: m, n: n, k: k, beta: beta, fused: true, expectFusion: true)
                        let separate = result(o, kernel: kernel, transB: transB, m: m, n: n, k: k, beta: beta, fused: false)
                        let differing = zip(fused, separate).filter { $0.bitPattern != $1.bitPattern }.count
                        XCTAssertEqual(differing, 0, "\(kernel) transB \(transB) Vᵀ \(transposingV) \(m)×\(n)×\(k) beta \(beta): elements differing")
                        seed += 1
                    }
                }
            }
        }
    }

    /// Terms whose columns start inside a sliver are added after the product, and a matrix–vector product's after it too.
    func testUnalignedTermsAndSmallBatchesEqualSeparateCalls() {
        for (m, n, k, terms) in [(40, 100, 300, [(5..<50, 4)]), (3, 64, 128, [(0..<64, 8)])] {
            let o = operands(m: m, n: n, k: k, terms: terms, seed: 99)
            let fused = result(o, kernel: .current, transB: true, m: m, n: n, k: k, beta: 1, fused: true)
            let separate = result(o, kernel: .current, transB: true, m: m, n: n, k: k, beta: 1, fused: false)
            XCTAssertEqual(fused.map(\.bitPattern), separate.map(\.bitPattern), "\(m)×\(n)×\(k)")
        }
    }

    /// The sums against double precision: `C = 0.75·A·op(B) + C₀ + Σ alpha_t · U_t·V_tᵀ` over each term's columns.
    func testTermsMatchDoublePrecision() {
        let (m, n, k) = (37, 70, 40)
        let terms = [(0..<32, 6), (16..<70, 3)]
        let o = operands(m: m, n: n, k: k, terms: terms, seed: 7, transposingV: true)
        let got = result(o, kernel: .current, transB: true, m: m, n: n, k: k, beta: 1, fused: true, expectFusion: true)
        for i in 0..<m {
            for j in 0..<n {
                var expected = Double(o.c[i * n + j])
                for p in 0..<k { expected += 0.75 * Double(o.a[i * k + p]) * Double(o.b[j * k + p]) }
                for term in o.terms where term.columns.contains(j) {
                    let column = j - term.columns.lowerBound
                    for r in 0..<term.rank {
                        let v = term.vTransposed ? term.v[r * term.columns.count + column] : term.v[column * term.rank + r]
                        expected += Double(term.alpha) * Double(term.u[i * term.rank + r]) * Double(v)
                    }
                }
                XCTAssertEqual(Double(got[i * n + j]), expected, accuracy: 1e-4, "C[\(i), \(j)]")
            }
        }
    }
}
