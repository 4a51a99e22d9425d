import AEPOCore
import AEPOTestSupport
import XCTest

/// Random test inputs and float/double conversions shared by the kernel tests.
enum KernelTesting {
    static func random(_ count: Int, seed: UInt64, scale: Double = 1) -> [Double] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in generator.nextGaussian() * scale }
    }

    static func floats(_ x: ArraySlice<Double>) -> [Float] { x.map { Float($0) } }
    static func floats(_ x: [Double]) -> [Float] { x.map { Float($0) } }
    static func doubles(_ x: [Float]) -> [Double] { x.map { Double($0) } }

    /// Asserts a float kernel's gradient matches the double-precision finite-difference reference.
    static func assertGradient(
        _ analytic: [Float], _ reference: [Double], tolerance: Double = 1e-4,
        _ label: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        let error = FiniteDifference.maxError(doubles(analytic), reference)
        XCTAssertLessThan(error, tolerance, "\(label): max error \(error)", file: file, line: line)
        XCTAssertGreaterThan(reference.map(abs).max() ?? 0, 1e-3, "\(label): reference gradient is trivially zero", file: file, line: line)
    }
}
