import Foundation
import XCTest
import AEPOCore

final class SeededGeneratorTests: XCTestCase {
    func testSameSeedSameStreamDifferentSeedDifferentStream() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let xa = (0..<8).map { _ in a.next() }
        XCTAssertEqual(xa, (0..<8).map { _ in b.next() })
        XCTAssertNotEqual(xa, (0..<8).map { _ in c.next() })
    }

    /// As a checkpoint saves and restores it.
    func testStateRoundTripContinuesTheStream() throws {
        var a = SeededGenerator(seed: 7)
        _ = a.next()
        var b = try JSONDecoder().decode(SeededGenerator.self, from: JSONEncoder().encode(a))
        XCTAssertEqual((0..<4).map { _ in a.next() }, (0..<4).map { _ in b.next() })
    }

    func testUniformAndGaussianMoments() {
        var g = SeededGenerator(seed: 1)
        let n = 200_000
        var sum = 0.0, sumSq = 0.0, uniformSum = 0.0
        for _ in 0..<n {
            let x = g.nextGaussian()
            sum += x; sumSq += x * x
            uniformSum += g.nextDouble()
        }
        XCTAssertEqual(sum / Double(n), 0, accuracy: 0.01)
        XCTAssertEqual(sumSq / Double(n), 1, accuracy: 0.02)
        XCTAssertEqual(uniformSum / Double(n), 0.5, accuracy: 0.005)
    }
}
