import AEPOKernels
import AEPOTestSupport
import Foundation
import XCTest

final class AttentionTests: XCTestCase {
    var shape = AttentionShape(lengths: [5, 2], heads: 4, kvHeads: 2, headDim: 3)
    var qCount: Int { shape.rows * shape.heads * shape.headDim }
    var kvCount: Int { shape.rows * shape.kvHeads * shape.headDim }

    /// Causal GQA output in double precision, `[rows, heads, headDim]` with the sequences packed back to back.
    func referenceOutput(_ p: [Double]) -> [Double] {
        let (H, KV, D) = (shape.heads, shape.kvHeads, shape.headDim)
        let q = Array(p[0..<qCount]), k = Array(p[qCount..<(qCount + kvCount)]), v = Array(p[(qCount + kvCount)...])
        var out = [Double](repeating: 0, count: qCount)
        for (b, length) in shape.lengths.enumerated() {
            let start = shape.starts[b]
            for h in 0..<H {
                let kvh = h / (H / KV)
                for t in 0..<length {
                    let qBase: Int = ((start + t) * H + h) * D
                    var scores: [Double] = []
                    for s in 0...t {
                        let kBase: Int = ((start + s) * KV + kvh) * D
                        var dot = 0.0
                        for i in 0..<D { dot += q[qBase + i] * k[kBase + i] }
                        scores.append(dot / Double(D).squareRoot())
                    }
                    let m = scores.max()!
                    scores = scores.map { exp($0 - m) }
                    let sum = scores.reduce(0, +)
                    for s in 0...t {
                        let vBase: Int = ((start + s) * KV + kvh) * D
                        for i in 0..<D { out[qBase + i] += scores[s] / sum * v[vBase + i] }
                    }
                }
            }
        }
        return out
    }

    func testForwardAndBackwardMatchDoublePrecisionReference() {
        check()
    }

    /// Shapes that cross the kernel's 6-row tiles and 16-wide slivers: a head size that is not a
    /// multiple of 16, groups of 2 and 3 query heads, long, short, one-token and empty sequences.
    func testTiledShapesMatchDoublePrecisionForwardAndBackward() {
        for shape in [
            AttentionShape(lengths: [37, 23], heads: 4, kvHeads: 2, headDim: 20),
            AttentionShape(lengths: [40, 1, 0, 17], heads: 6, kvHeads: 2, headDim: 32),
        ] {
            self.shape = shape
            checkAgainstAnalyticReference()
        }
    }

    /// The AVX-512 tiles (eight-row query and key tiles, the 8×32 tile on pairs of slivers) give the 6×16 tile's
    /// results bit for bit: output, the probabilities at `s ≤ t`, and the three gradients, on shapes with partial
    /// tiles, odd slivers and grouped heads.
    func testAVX512TilesEqualTheBaseTileBitForBit() throws {
        try XCTSkipUnless(GemmKernel.avx512Available, "no AVX-512 on this CPU")
        for (lengths, heads, kvHeads, headDim) in [([37, 23, 8, 1, 0], 4, 2, 48), ([64, 19], 6, 2, 64), ([45], 2, 1, 20)] {
            func run(_ kernel: GemmKernel) -> [[Float]] {
                var shape = AttentionShape(lengths: lengths, heads: heads, kvHeads: kvHeads, headDim: headDim)
                shape.kernel = kernel
                let (qCount, kvCount) = (shape.rows * heads * headDim, shape.rows * kvHeads * headDim)
                let q = KernelTesting.floats(KernelTesting.random(qCount, seed: 31))
                let k = KernelTesting.floats(KernelTesting.random(kvCount, seed: 32))
                let v = KernelTesting.floats(KernelTesting.random(kvCount, seed: 33))
                let c = KernelTesting.floats(KernelTesting.random(qCount, seed: 34))
                var out = [Float](repeating: .nan, count: qCount)
                var probabilities = [Float](repeating: .nan, count: shape.probabilityCount)
                Attention.forward(output: &out, probabilities: &probabilities, query: q, key: k, value: v, shape: shape)
                var dq = [Float](repeating: .nan, count: qCount), dk = [Float](repeating: .nan, count: kvCount)
                var dv = [Float](repeating: .nan, count: kvCount)
                var scratch = [Float](repeating: .nan, count: shape.backwardScratchCount)
                Attention.backward(queryGradient: &dq, keyGradient: &dk, valueGradient: &dv, scratch: &scratch, outputGradient: c,
                                   probabilities: probabilities, query: q, key: k, value: v, shape: shape)
                var causal: [Float] = []
                for (b, length) in lengths.enumerated() {
                    for h in 0..<heads {
                        let block = heads * lengths[..<b].reduce(0) { $0 + $1 * $1 } + h * length * length
                        for t in 0..<length { causal += probabilities[(block + t * length)...(block + t * length + t)] }
                    }
                }
                return [out, causal, dq, dk, dv]
            }
            let (base, wide) = (run(.base), run(.avx512))
            for (name, (x, y)) in zip(["output", "probabilities", "dq", "dk", "dv"], zip(base, wide)) {
                XCTAssertFalse(x.contains { !$0.isFinite }, "\(name) of \(lengths) is not finite")
                let differing = zip(x, y).enumerated().filter { $0.element.0.bitPattern != $0.element.1.bitPattern }.map(\.offset)
                XCTAssertEqual(x.count, y.count)
                XCTAssertEqual(differing.count, 0, "\(name) of \(lengths), \(heads) heads of \(headDim): first differing at \(differing.first ?? -1)")
            }
        }
    }

    /// The probabilities and scratch take `heads · Σ length²` and `kvHeads · Σ length²` floats: no padding.
    func testPackedSizes() {
        let shape = AttentionShape(lengths: [3, 0, 5], heads: 4, kvHeads: 2, headDim: 8)
        XCTAssertEqual(shape.starts, [0, 3, 3])
        XCTAssertEqual(shape.rows, 8)
        XCTAssertEqual(shape.probabilityCount, 4 * 34)
        XCTAssertEqual(shape.backwardScratchCount, 2 * 34)
    }

    /// Forward and backward against double-precision attention and its analytic gradients
    /// (`dP = c·vᵀ`, `dS = P ⊙ (dP − Σ P ⊙ dP)`, `dq = scale·dS·k`, `dk = scale·dSᵀ·q`, `dv = Pᵀ·c`).
    func checkAgainstAnalyticReference() {
        let (H, KV, D) = (shape.heads, shape.kvHeads, shape.headDim)
        let scale = 1 / Double(D).squareRoot()
        let p = KernelTesting.random(qCount + 2 * kvCount, seed: 21)
        let c = KernelTesting.random(qCount, seed: 22)
        let q = Array(p[0..<qCount]), k = Array(p[qCount..<(qCount + kvCount)]), v = Array(p[(qCount + kvCount)...])
        var out = [Double](repeating: 0, count: qCount)
        var dq = [Double](repeating: 0, count: qCount), dk = [Double](repeating: 0, count: kvCount)
        var dv = [Double](repeating: 0, count: kvCount)
        for (b, length) in shape.lengths.enumerated() {
            let start = shape.starts[b]
            for h in 0..<H {
                let g = h / (H / KV)
                func qi(_ t: Int) -> Int { ((start + t) * H + h) * D }
                func kvi(_ s: Int) -> Int { ((start + s) * KV + g) * D }
                for t in 0..<length {
                    var scores = (0...t).map { s in (0..<D).reduce(0.0) { $0 + q[qi(t) + $1] * k[kvi(s) + $1] } * scale }
                    let m = scores.max()!
                    scores = scores.map { exp($0 - m) }
                    let sum = scores.reduce(0, +)
                    let probabilities = scores.map { $0 / sum }
                    let dP = (0...t).map { s in (0..<D).reduce(0.0) { $0 + c[qi(t) + $1] * v[kvi(s) + $1] } }
                    let inner = zip(probabilities, dP).reduce(0.0) { $0 + $1.0 * $1.1 }
                    for s in 0...t {
                        let dS = probabilities[s] * (dP[s] - inner)
                        for i in 0..<D {
                            out[qi(t) + i] += probabilities[s] * v[kvi(s) + i]
                            dq[qi(t) + i] += scale * dS * k[kvi(s) + i]
                            dk[kvi(s) + i] += scale * dS * q[qi(t) + i]
                            dv[kvi(s) + i] += probabilities[s] * c[qi(t) + i]
                        }
                    }
                }
            }
        }
        var gotOut = [Float](repeating: .nan, count: qCount)
        var probabilities = [Float](repeating: .nan, count: shape.probabilityCount)
        Attention.forward(output: &gotOut, probabilities: &probabilities, query: KernelTesting.floats(q), key: KernelTesting.floats(k),
                          value: KernelTesting.floats(v), shape: shape)
        var gotQ = [Float](repeating: .nan, count: qCount), gotK = [Float](repeating: .nan, count: kvCount)
        var gotV = [Float](repeating: .nan, count: kvCount), scratch = [Float](repeating: .nan, count: shape.backwardScratchCount)
        Attention.backward(queryGradient: &gotQ, keyGradient: &gotK, valueGradient: &gotV, scratch: &scratch,
                           outputGradient: KernelTesting.floats(c), probabilities: probabilities, query: KernelTesting.floats(q),
                           key: KernelTesting.floats(k), value: KernelTesting.floats(v), shape: shape)
        for (name, got, expected) in [("output", gotOut, out), ("dq", gotQ, dq), ("dk", gotK, dk), ("dv", gotV, dv)] {
            let worst = zip(got, expected).map { abs(Double($0) - $1) }.max() ?? 0
            XCTAssertLessThan(worst, 1e-5, "\(name) of \(shape)")
        }
    }

    func check() {
        let p = KernelTesting.random(qCount + 2 * kvCount, seed: 12)
        let c = KernelTesting.random(qCount, seed: 13)
        let q = KernelTesting.floats(p[0..<qCount]), k = KernelTesting.floats(p[qCount..<(qCount + kvCount)])
        let v = KernelTesting.floats(p[(qCount + kvCount)...])
        var out = [Float](repeating: .nan, count: qCount)
        var probabilities = [Float](repeating: .nan, count: shape.probabilityCount)
        Attention.forward(output: &out, probabilities: &probabilities, query: q, key: k, value: v, shape: shape)
        let reference = referenceOutput(p)
        for i in 0..<qCount { XCTAssertEqual(Double(out[i]), reference[i], accuracy: 1e-5, "output \(i)") }

        var dq = [Float](repeating: .nan, count: qCount), dk = [Float](repeating: .nan, count: kvCount)
        var dv = [Float](repeating: .nan, count: kvCount), scratch = [Float](repeating: .nan, count: shape.backwardScratchCount)
        Attention.backward(queryGradient: &dq, keyGradient: &dk, valueGradient: &dv, scratch: &scratch,
                           outputGradient: KernelTesting.floats(c), probabilities: probabilities,
                           query: q, key: k, value: v, shape: shape)
        let gradient = FiniteDifference.gradient(of: { x in zip(self.referenceOutput(x), c).map { $0 * $1 }.reduce(0, +) }, at: p)
        KernelTesting.assertGradient(dq, Array(gradient[0..<qCount]), "dq")
        KernelTesting.assertGradient(dk, Array(gradient[qCount..<(qCount + kvCount)]), "dk")
        KernelTesting.assertGradient(dv, Array(gradient[(qCount + kvCount)...]), "dv")
    }
}
