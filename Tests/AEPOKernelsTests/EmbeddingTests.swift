import AEPOKernels
import XCTest

final class EmbeddingTests: XCTestCase {
    func testLookupAndScatterAddWithRepeatedTokens() {
        let width = 3
        let table: [Float] = (0..<12).map(Float.init)  // 4 rows
        let tokens: [Int32] = [2, 0, 2]
        var out = [Float](repeating: -1, count: 9)
        table.withUnsafeBufferPointer { Embedding.forward(output: &out, tokens: tokens, table: .float32($0.baseAddress!), count: 3, width: width) }
        XCTAssertEqual(out, [6, 7, 8, 0, 1, 2, 6, 7, 8])

        var grad = [Float](repeating: 0.5, count: 12)
        let dout: [Float] = [1, 2, 3, 10, 20, 30, 100, 200, 300]
        Embedding.backward(tableGradient: &grad, outputGradient: dout, tokens: tokens, count: 3, width: width)
        XCTAssertEqual(grad, [10.5, 20.5, 30.5, 0.5, 0.5, 0.5, 101.5, 202.5, 303.5, 0.5, 0.5, 0.5])
    }
}
