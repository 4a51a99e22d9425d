import AEPOCore
import AEPORollout
import AEPOTraining
import Foundation

/// What a training run directory holds for reports: `metrics.jsonl`, and when present the evaluation
/// (`eval/eval.json`, written by `aepo eval --out RUN/eval`) and the RL trainer's rollout logs (`RolloutLog`): the
/// branch events (`branch_events.jsonl`) and the trajectories (`rollouts.jsonl`) of every step.
public struct RunLog: Sendable {
    public static let metricsFile = Trainer.metricsFile
    public static let evaluationFile = "eval/eval.json"
    public static let branchEventsFile = RolloutLog.branchEventsFile
    public static let rolloutsFile = RolloutLog.rolloutsFile

    public var name: String
    public var metrics: [MetricsRecord]
    public var evaluation: EvaluationReport?
    public var branchEvents: [LoggedBranchEvent]
    /// The trajectories of every step, in file order.
    public var rollouts: [RolloutRecord]

    public init(name: String, metrics: [MetricsRecord], evaluation: EvaluationReport? = nil, branchEvents: [LoggedBranchEvent] = [],
                rollouts: [RolloutRecord] = []) {
        self.name = name
        self.metrics = metrics
        self.evaluation = evaluation
        self.branchEvents = branchEvents
        self.rollouts = rollouts
    }

    /// The groups of `rollouts`: one question's trajectories at one step, in file order.
    public var groups: [[RolloutRecord]] {
        var groups: [[RolloutRecord]] = []
        for record in rollouts {
            if let last = groups.last?.first, last.step == record.step, last.question == record.question {
                groups[groups.count - 1].append(record)
            } else {
                groups.append([record])
            }
        }
        return groups
    }

    /// Loads `directory`; its last path component names the run.
    public static func load(_ directory: URL) throws -> RunLog {
        let metricsURL = directory.appendingPathComponent(metricsFile)
        guard FileManager.default.fileExists(atPath: metricsURL.path) else {
            throw InputError("not a run directory: no \(metricsFile)", source: directory.path)
        }
        var run = RunLog(name: directory.lastPathComponent, metrics: try MetricsRecord.read(from: metricsURL))
        let evaluationURL = directory.appendingPathComponent(evaluationFile)
        if FileManager.default.fileExists(atPath: evaluationURL.path) {
            do {
                run.evaluation = try JSONDecoder().decode(EvaluationReport.self, from: Data(contentsOf: evaluationURL))
            } catch let error as DecodingError {
                throw InputError(JSONLines.describe(error), source: evaluationURL.path)
            }
        }
        let eventsURL = directory.appendingPathComponent(branchEventsFile)
        if FileManager.default.fileExists(atPath: eventsURL.path) {
            run.branchEvents = try LoggedBranchEvent.read(from: eventsURL)
        }
        let rolloutsURL = directory.appendingPathComponent(rolloutsFile)
        if FileManager.default.fileExists(atPath: rolloutsURL.path) {
            run.rollouts = try JSONLines.read(RolloutRecord.self, from: rolloutsURL)
        }
        return run
    }

    /// A run whose metric at each (phase, step) is the mean over `runs` of those that logged it (for curves
    /// averaged over seeds); no evaluation or branch events.
    public static func averaged(name: String, _ runs: [RunLog]) -> RunLog {
        struct Key: Hashable { var phase: String; var step: Int }
        var order: [Key] = []
        var sums: [Key: [String: (total: Double, count: Int)]] = [:]
        for record in runs.flatMap(\.metrics) {
            let key = Key(phase: record.phase, step: record.step)
            if sums[key] == nil { order.append(key) }
            for (metric, value) in record.values {
                let current = sums[key, default: [:]][metric] ?? (0, 0)
                sums[key, default: [:]][metric] = (current.total + value, current.count + 1)
            }
        }
        return RunLog(name: name, metrics: order.sorted { ($0.phase, $0.step) < ($1.phase, $1.step) }.map { key in
            MetricsRecord(phase: key.phase, step: key.step, values: sums[key]!.mapValues { $0.total / Double($0.count) })
        })
    }
}
