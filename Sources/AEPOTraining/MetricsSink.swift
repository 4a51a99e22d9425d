import AEPOCore
import Foundation

/// Where per-step metrics go (`metrics.jsonl`; a TensorBoard writer can sit next to it).
public protocol MetricsSink: AnyObject {
    /// Records the metrics of one step of `phase` (`sft` or `rl`).
    func record(phase: String, step: Int, metrics: [String: Double]) throws
}

/// `metrics.jsonl`: one JSON object per step, `{"phase": …, "step": n, "<metric>": value, …}` with sorted keys.
/// Opening it for a resumed run drops the lines of steps after the resumed one, so the file never repeats a step.
public final class JSONLMetricsSink: MetricsSink {
    public let url: URL

    /// Opens `url`, keeping only the lines of `phase` steps up to `resumedStep` (and every other phase's lines).
    public init(url: URL, phase: String, resumedStep: Int) throws {
        self.url = url
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            try AtomicFile.write(Data(), to: url)
            return
        }
        let kept = text.split(separator: "\n").filter { line in
            guard let object = try? JSONValue.parse(Data(line.utf8)).objectValue,
                  object["phase"]?.stringValue == phase, let step = object["step"]?.intValue else { return true }
            return step <= resumedStep
        }
        try AtomicFile.write(kept.map { $0 + "\n" }.joined(), to: url)
    }

    public func record(phase: String, step: Int, metrics: [String: Double]) throws {
        var object = metrics.mapValues { JSONValue.number($0) }
        object["phase"] = .string(phase)
        object["step"] = .integer(step)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((JSONValue.object(object).serialized() + "\n").utf8))
    }
}
