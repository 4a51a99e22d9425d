@testable import AEPOBenchmark
import Foundation

/// One small benchmark shared by the tests (generating it takes about a second in debug).
enum BenchmarkFixture {
    static let seed: UInt64 = 7
    static let small: Benchmark = try! Benchmark.generate(seed: seed, configuration: .small)
}
