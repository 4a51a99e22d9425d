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
    private let file: StepLogFile

    /// Opens `url`, keeping only the lines of `phase` steps up to `resumedStep` (and every other phase's lines).
    public init(url: URL, phase: String, resumedStep: Int) throws {
        file = try StepLogFile(url: url) { object in
            guard object["phase"]?.stringValue == phase, let step = object["step"]?.intValue else { return true }
            return step <= resumedStep
        }
    }

    public func record(phase: String, step: Int, metrics: [String: Double]) throws {
        var object = metrics.mapValues { JSONValue.number($0) }
        object["phase"] = .string(phase)
        object["step"] = .integer(step)
        try file.append(lines: [JSONValue.object(object).serialized()])
    }
}
