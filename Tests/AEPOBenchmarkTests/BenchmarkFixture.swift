@testable import AEPOBenchmark
import AEPOTools
import Foundation

/// One small benchmark shared by the tests (generating it takes about a second in debug).
enum BenchmarkFixture {
    static let seed: UInt64 = 7
    static let small: Benchmark = try! Benchmark.generate(seed: seed, configuration: .small)

    /// SQuAD answer normalisation, written here independently of the tools: lower case, no
    /// punctuation, no articles, single spaces.
    static func normalise(_ text: String) -> String {
        let lowered = text.lowercased().filter { !$0.isPunctuation && !$0.isSymbol }
        return lowered.split(whereSeparator: { $0.isWhitespace }).filter { !["a", "an", "the"].contains($0) }.joined(separator: " ")
    }

    static func exactMatch(_ prediction: String, _ answers: [String]) -> Bool {
        answers.contains { normalise($0) == normalise(prediction) }
    }
}
