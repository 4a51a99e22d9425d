import AEPOCore
import Foundation

/// One line of a trainer's `metrics.jsonl`: `{"phase": …, "step": n, "<metric>": value, …}`.
public struct MetricsRecord: Equatable, Sendable {
    public var phase: String
    public var step: Int
    public var values: [String: Double]

    public init(phase: String, step: Int, values: [String: Double]) {
        self.phase = phase
        self.step = step
        self.values = values
    }

    /// Reads every non-empty line of `url`; a line without `phase` and an integer `step`, or with a
    /// metric that is not a number, is an error naming the line.
    public static func read(from url: URL) throws -> [MetricsRecord] {
        guard let data = try? Data(contentsOf: url), let text = String(data: data, encoding: .utf8) else {
            throw InputError("cannot read metrics file (expected UTF-8 JSON Lines)", source: url.path)
        }
        var records: [MetricsRecord] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy(\.isWhitespace) { continue }
            let lineNumber = index + 1
            guard let object = try? JSONValue.parse(Data(line.utf8)).objectValue else {
                throw InputError("expected a JSON object", source: url.path, line: lineNumber)
            }
            guard let phase = object["phase"]?.stringValue else {
                throw InputError("expected a string", source: url.path, line: lineNumber, field: "phase")
            }
            guard let step = object["step"]?.intValue else {
                throw InputError("expected an integer", source: url.path, line: lineNumber, field: "step")
            }
            var values: [String: Double] = [:]
            for (key, value) in object where key != "phase" && key != "step" {
                guard let number = value.doubleValue else {
                    throw InputError("expected a number, found \(value.typeName)", source: url.path, line: lineNumber, field: key)
                }
                values[key] = number
            }
            records.append(MetricsRecord(phase: phase, step: step, values: values))
        }
        return records
    }
}

extension Array where Element == MetricsRecord {
    /// `(step, value)` of `metric` over the records of `phase` that have it, in file order.
    public func series(_ metric: String, phase: String = "rl") -> [(step: Int, value: Double)] {
        compactMap { record in
            guard record.phase == phase, let value = record.values[metric] else { return nil }
            return (record.step, value)
        }
    }
}
