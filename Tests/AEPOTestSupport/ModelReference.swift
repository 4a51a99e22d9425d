import Foundation

/// A fixture's `expected.json`, written by transformers: input ids, next-token logits
/// (`logits[b][t]` after token t) and the mean next-token cross-entropy over t ≥ 1.
public struct ModelReference: Decodable {
    public var inputIDs: [[Int]]
    public var logits: [[[Double]]]
    public var loss: Double

    enum CodingKeys: String, CodingKey {
        case inputIDs = "input_ids", logits, loss
    }

    /// Reads `Tests/Fixtures/<fixture>/expected.json`.
    public static func load(_ fixture: String) throws -> ModelReference {
        try JSONDecoder().decode(ModelReference.self, from: Data(contentsOf: Fixtures.url("\(fixture)/expected.json")))
    }

    /// Largest absolute difference between `logits` and the reference.
    public func maxLogitError(_ logits: [[[Float]]]) -> Double {
        precondition(logits.count == self.logits.count, "batch size mismatch")
        var worst = 0.0
        for (ours, theirs) in zip(logits, self.logits) {
            precondition(ours.count == theirs.count, "length mismatch")
            for (x, y) in zip(ours, theirs) {
                precondition(x.count == y.count, "vocabulary mismatch")
                for (a, b) in zip(x, y) { worst = max(worst, abs(Double(a) - b)) }
            }
        }
        return worst
    }
}
