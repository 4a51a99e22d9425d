import AEPOTraining
import XCTest

final class GradientClippingTests: XCTestCase {
    func testClipsToMaxNormAndReturnsPreClipNorm() {
        var g: [Float] = [3, 0, -4]
        let norm = g.withUnsafeMutableBufferPointer { GradientClipping.clipGlobalNorm($0, maxNorm: 1) }
        XCTAssertEqual(norm, 5)
        XCTAssertEqual(g[0], 0.6, accuracy: 1e-6)
        XCTAssertEqual(g[2], -0.8, accuracy: 1e-6)

        var small: [Float] = [3, 0, -4]
        let same = small.withUnsafeMutableBufferPointer { GradientClipping.clipGlobalNorm($0, maxNorm: 10) }
        XCTAssertEqual(same, 5)
        XCTAssertEqual(small, [3, 0, -4])
    }
}
