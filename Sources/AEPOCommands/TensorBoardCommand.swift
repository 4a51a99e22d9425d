import AEPOEvaluation
import ArgumentParser
import Foundation

/// `aepo tensorboard RUN_DIR…`: writes a run's `metrics.jsonl` as a TensorBoard event file next to it.
struct TensorBoardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tensorboard",
        abstract: "Export runs' metrics.jsonl as TensorBoard scalar event files (tags phase/metric), for tensorboard --logdir.")

    @Argument(help: "Run directories (each with metrics.jsonl).")
    var runs: [String]

    func run() throws {
        for path in runs {
            let directory = URL(fileURLWithPath: path)
            let records = try MetricsRecord.read(from: directory.appendingPathComponent(RunLog.metricsFile))
            let writer = try TensorBoardWriter(directory: directory)
            // A session START at the first step supersedes the event files already there (e.g. the trainer's).
            if let first = records.map(\.step).min() { try writer.writeSessionStart(step: first) }
            for record in records { try writer.record(phase: record.phase, step: record.step, metrics: record.values) }
            print("wrote \(writer.url.path) (\(records.count) steps)")
        }
    }
}
