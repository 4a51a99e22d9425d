import AEPOCore
import AEPOModel
import Foundation
import XCTest

final class SamplerTests: XCTestCase {
    private func sample(_ logits: [Float], _ settings: SamplingSettings, seed: UInt64 = 1) -> SampledToken {
        var generator = SeededGenerator(seed: seed)
        return Sampler(settings: settings).sample(logits, row: 0, vocabularySize: logits.count, using: &generator)
    }

    func testUniformLogitsHaveEntropyLogV() {
        let v = 64
        for settings in [SamplingSettings(), SamplingSettings(temperature: 0.5), .greedy] {
            let s = sample([Float](repeating: 0.3, count: v), settings)
            XCTAssertEqual(s.entropy, log(Float(v)), accuracy: 1e-5)
            XCTAssertEqual(s.policyLogProb, -log(Float(v)), accuracy: 1e-5)
        }
        XCTAssertEqual(sample([Float](repeating: 0.3, count: v), SamplingSettings()).logProb, -log(Float(v)), accuracy: 1e-5)
    }

    func testTwoTokensByHand() {
        // z = (0, ln 3): p = (1/4, 3/4) at T = 1; at T = 2, p ∝ (1, √3).
        let z: [Float] = [0, Float(log(3.0))]
        let hT1 = -(0.25 * log(0.25) + 0.75 * log(0.75))
        let q1 = 1 / (1 + 3.0.squareRoot()), q2 = 1 - q1
        let hT2 = -(q1 * log(q1) + q2 * log(q2))
        for seed in UInt64(1)...20 {
            let a = sample(z, SamplingSettings(temperature: 1), seed: seed)
            XCTAssertEqual(Double(a.entropy), hT1, accuracy: 1e-6)
            XCTAssertEqual(Double(a.logProb), a.token == 0 ? log(0.25) : log(0.75), accuracy: 1e-6)
            XCTAssertEqual(a.policyLogProb, a.logProb, accuracy: 1e-6)
            let b = sample(z, SamplingSettings(temperature: 2), seed: seed)
            XCTAssertEqual(Double(b.entropy), hT2, accuracy: 1e-6)
            XCTAssertEqual(Double(b.logProb), log(b.token == 0 ? q1 : q2), accuracy: 1e-6)
            XCTAssertEqual(Double(b.policyLogProb), b.token == 0 ? log(0.25) : log(0.75), accuracy: 1e-6)
        }
    }

    func testGreedyTakesArgmaxWithLowestIdOnTies() {
        let s = sample([1, 4, 2, 4, -1], .greedy)
        XCTAssertEqual(s.token, 1)
        XCTAssertEqual(s.logProb, 0)
        let lse = log([1, 4, 2, 4, -1].map { exp(Double($0)) }.reduce(0, +))
        XCTAssertEqual(Double(s.policyLogProb), 4 - lse, accuracy: 1e-6)
    }

    func testTopKKeepsOnlyTheKLargest() {
        let z: [Float] = [1, 5, 3, 4, 2]
        let kept = log(exp(5.0) + exp(4.0))
        for seed in UInt64(1)...200 {
            let s = sample(z, SamplingSettings(temperature: 1, topK: 2), seed: seed)
            XCTAssertTrue([1, 3].contains(s.token))
            XCTAssertEqual(Double(s.logProb), Double(z[s.token]) - kept, accuracy: 1e-6)
        }
    }

    func testTopPKeepsTheSmallestNucleus() {
        let p: [Double] = [0.05, 0.5, 0.15, 0.3]  // descending: tokens 1, 3, 2, 0
        let z = p.map { Float(log($0)) }
        var c = LogitCandidates(tokens: Array(0..<4), scores: z)
        TopPFilter(p: 0.75).process(&c)
        XCTAssertEqual(c.tokens, [1, 3])
        c = LogitCandidates(tokens: Array(0..<4), scores: z)
        TopPFilter(p: 0.85).process(&c)
        XCTAssertEqual(c.tokens, [1, 3, 2])
        c = LogitCandidates(tokens: Array(0..<4), scores: z)
        TopPFilter(p: 0.4).process(&c)
        XCTAssertEqual(c.tokens, [1])
        for seed in UInt64(1)...100 {
            let s = sample(z, SamplingSettings(temperature: 1, topP: 0.75), seed: seed)
            XCTAssertTrue([1, 3].contains(s.token))
            XCTAssertEqual(Double(s.logProb), log(p[s.token] / 0.8), accuracy: 1e-6)
            XCTAssertEqual(Double(s.policyLogProb), log(p[s.token]), accuracy: 1e-6)
        }
    }

    /// Top-k and top-p on a large vocabulary (where they sort only a prefix) keep exactly what a full
    /// sort by descending score, ties by ascending token id, gives — with many tied scores.
    func testFiltersOnLargeVocabulariesMatchAFullSort() {
        var generator = SeededGenerator(seed: 77)
        for trial in 0..<6 {
            let v = 3000
            // Scores on a coarse grid, so that many tie; a few peaked rows make small nuclei.
            let peak = Float(trial) * 1.5
            let z = (0..<v).map { i in Float(Int(generator.next() % 40)) / 8 + (i % 97 == 0 ? peak : 0) }
            let order = z.indices.sorted { z[$0] != z[$1] ? z[$0] > z[$1] : $0 < $1 }
            for k in [1, 5, 64, 700] {
                var c = LogitCandidates(tokens: Array(0..<v), scores: z)
                TopKFilter(k: k).process(&c)
                XCTAssertEqual(c.tokens, Array(order.prefix(k)), "top-\(k), trial \(trial)")
                XCTAssertEqual(c.scores, order.prefix(k).map { z[$0] })
            }
            let top = z.max()!
            let total = z.reduce(0.0) { $0 + exp(Double($1 - top)) }
            for p in [0.05, 0.3, 0.9, 0.99] as [Float] {
                var expected: [Int] = [], before = 0.0
                for token in order where before < Double(p) * total {
                    expected.append(token)
                    before += exp(Double(z[token] - top))
                }
                var c = LogitCandidates(tokens: Array(0..<v), scores: z)
                TopPFilter(p: p).process(&c)
                XCTAssertEqual(c.tokens, expected, "top-p \(p), trial \(trial)")
            }
        }
    }

    /// Empirical frequencies of many draws against the distribution computed here in Double:
    /// tempered softmax, the `topK` largest kept, then the nucleus of mass `topP`.
    private func checkFrequencies(_ z: [Float], _ settings: SamplingSettings, draws n: Int = 40_000,
                                  file: StaticString = #filePath, line: UInt = #line) {
        let t = Double(settings.temperature)
        let k = settings.topK == 0 ? z.count : settings.topK
        let order = z.indices.sorted { z[$0] > z[$1] }.prefix(k)
        let w = order.map { exp(Double(z[$0]) / t) }
        let total = w.reduce(0, +)
        var kept: [Int] = [], before = 0.0
        for (i, token) in order.enumerated() where before < Double(settings.topP) {
            kept.append(token)
            before += w[i] / total
        }
        let keptMass = kept.map { exp(Double(z[$0]) / t) }.reduce(0, +)
        var expected = [Double](repeating: 0, count: z.count)
        for token in kept { expected[token] = exp(Double(z[token]) / t) / keptMass }

        var generator = SeededGenerator(seed: 2024)
        let sampler = Sampler(settings: settings)
        var counts = [Int](repeating: 0, count: z.count)
        for _ in 0..<n {
            let s = sampler.sample(z, row: 0, vocabularySize: z.count, using: &generator)
            counts[s.token] += 1
            XCTAssertEqual(Double(s.logProb), log(expected[s.token]), accuracy: 1e-5, file: file, line: line)
        }
        var chiSquare = 0.0
        for token in z.indices {
            if expected[token] == 0 {
                XCTAssertEqual(counts[token], 0, "token \(token) is filtered out", file: file, line: line)
            } else {
                let e = expected[token] * Double(n)
                chiSquare += pow(Double(counts[token]) - e, 2) / e
            }
        }
        // At most 7 degrees of freedom; 30 is beyond their 0.9999 quantile.
        XCTAssertLessThan(chiSquare, 30, file: file, line: line)
        XCTAssertGreaterThan(kept.count, 2, "the test needs several tokens in play", file: file, line: line)
    }

    private let frequencyLogits: [Float] = [0.2, -1.0, 1.5, 0.7, -0.3, 2.1, 0.0, -2.5]

    func testFrequenciesMatchTheTemperedFilteredDistribution() {
        checkFrequencies(frequencyLogits, SamplingSettings(temperature: 0.8, topK: 6, topP: 0.9))
    }

    func testFrequenciesMatchTheTemperedFullDistribution() {
        checkFrequencies(frequencyLogits, SamplingSettings(temperature: 1.3))
        checkFrequencies(frequencyLogits, SamplingSettings(temperature: 0.7, topK: 8), draws: 20_000)
    }

    func testSameSeedSameTokens() {
        let z: [Float] = (0..<50).map { Float(sin(Double($0))) * 3 }
        let run = { (seed: UInt64) -> [Int] in
            var g = SeededGenerator(seed: seed)
            let s = Sampler(settings: SamplingSettings(temperature: 1.3, topP: 0.95))
            return (0..<30).map { _ in s.sample(z, row: 0, vocabularySize: 50, using: &g).token }
        }
        XCTAssertEqual(run(5), run(5))
        XCTAssertNotEqual(run(5), run(6))
    }

    func testInvalidSettingsAreRejected() {
        XCTAssertThrowsError(try SamplingSettings(temperature: -1).validate())
        XCTAssertThrowsError(try SamplingSettings(topK: -3).validate())
        XCTAssertThrowsError(try SamplingSettings(topP: 0).validate())
        XCTAssertThrowsError(try SamplingSettings(topP: 1.5).validate())
        XCTAssertNoThrow(try SamplingSettings(temperature: 0, topK: 0, topP: 1).validate())
    }
}
