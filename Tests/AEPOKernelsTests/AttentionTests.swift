import AEPOKernels
import AEPOTestSupport
import Foundation
import XCTest

final class AttentionTests: XCTestCase {
    var shape = AttentionShape(batch: 2, time: 5, heads: 4, kvHeads: 2, headDim: 3)
    let lengths: [Int32] = [5, 2]
    var qCount: Int { shape.batch * shape.time * shape.heads * shape.headDim }
    var kvCount: Int { shape.batch * shape.time * shape.kvHeads * shape.headDim }

    /// Causal GQA output in double precision, `[batch, time, heads, headDim]`, zeros past each length.
    func referenceOutput(_ p: [Double]) -> [Double] {
        let (T, H, KV, D) = (shape.time, shape.heads, shape.kvHeads, shape.headDim)
        let q = Array(p[0..<qCount]), k = Array(p[qCount..<(qCount + kvCount)]), v = Array(p[(qCount + kvCount)...])
        var out = [Double](repeating: 0, count: qCount)
        for b in 0..<shape.batch {
            for h in 0..<H {
                let kvh = h / (H / KV)
                for t in 0..<Int(lengths[b]) {
                    let qBase: Int = ((b * T + t) * H + h) * D
                    var scores: [Double] = []
                    for s in 0...t {
                        let kBase: Int = ((b * T + s) * KV + kvh) * D
                        var dot = 0.0
                        for i in 0..<D { dot += q[qBase + i] * k[kBase + i] }
                        scores.append(dot / Double(D).squareRoot())
                    }
                    let m = scores.max()!
                    scores = scores.map { exp($0 - m) }
                    let sum = scores.reduce(0, +)
                    for s in 0...t {
                        let vBase: Int = ((b * T + s) * KV + kvh) * D
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

    /// Causal blocks of 2 query rows (blocks [0,2), [2,4), [4,5)) give the same results.
    func testCausalBlocksMatchDoublePrecisionReference() {
        shape.blockRows = 2
        check()
    }

    func check() {
        let p = KernelTesting.random(qCount + 2 * kvCount, seed: 12)
        let c = KernelTesting.random(qCount, seed: 13)
        let q = KernelTesting.floats(p[0..<qCount]), k = KernelTesting.floats(p[qCount..<(qCount + kvCount)])
        let v = KernelTesting.floats(p[(qCount + kvCount)...])
        var out = [Float](repeating: .nan, count: qCount)
        var probabilities = [Float](repeating: .nan, count: shape.probabilityCount)
        Attention.forward(output: &out, probabilities: &probabilities, query: q, key: k, value: v, lengths: lengths, shape: shape)
        let reference = referenceOutput(p)
        for i in 0..<qCount { XCTAssertEqual(Double(out[i]), reference[i], accuracy: 1e-5, "output \(i)") }

        var dq = [Float](repeating: .nan, count: qCount), dk = [Float](repeating: .nan, count: kvCount)
        var dv = [Float](repeating: .nan, count: kvCount), scratch = [Float](repeating: .nan, count: shape.backwardScratchCount)
        Attention.backward(queryGradient: &dq, keyGradient: &dk, valueGradient: &dv, scratch: &scratch,
                           outputGradient: KernelTesting.floats(c), probabilities: probabilities,
                           query: q, key: k, value: v, lengths: lengths, shape: shape)
        let gradient = FiniteDifference.gradient(of: { x in zip(self.referenceOutput(x), c).map { $0 * $1 }.reduce(0, +) }, at: p)
        KernelTesting.assertGradient(dq, Array(gradient[0..<qCount]), "dq")
        KernelTesting.assertGradient(dk, Array(gradient[qCount..<(qCount + kvCount)]), "dk")
        KernelTesting.assertGradient(dv, Array(gradient[(qCount + kvCount)...]), "dv")
    }
}
