import AEPOKernels
import ArgumentParser
import Foundation

/// `aepo bench`: speed figures of the engine, printed as one JSON object (build with `-c release`).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure GEMM, training and decoding speed; print one JSON object.",
        discussion: "Figures are medians over repetitions; run a release build (`swift build -c release`)."
    )

    @Option(name: .customLong("repeat"), help: "Timed repetitions per figure (the median is reported).")
    var repetitions = 7

    @Option(name: .customLong("only"), help: "Run only this measurement (repeatable): \(BenchMeasurement.all.map(\.name).joined(separator: ", ")).")
    var only: [String] = []

    func validate() throws {
        guard repetitions >= 1 else { throw ValidationError("--repeat must be at least 1, got \(repetitions)") }
        let known = Set(BenchMeasurement.all.map(\.name))
        for name in only where !known.contains(name) {
            throw ValidationError("unknown measurement '\(name)'; expected one of: \(BenchMeasurement.all.map(\.name).joined(separator: ", "))")
        }
    }

    func run() throws {
        let context = BenchContext(repetitions: repetitions)
        var report: [String: Any] = [:]
        var warnings: [String] = []
        #if DEBUG
        warnings.append("debug build: figures are ~50× below a release build (`swift build -c release`)")
        #endif
        if let blas = OpenBLAS.selected {
            warnings.append("GEMM runs in \(blas.libraryName) with its own \(Parallel.threadCount) threads: the *_1thread figures are not single-threaded")
        } else if OpenBLAS.requested {
            warnings.append("AEPO_BLAS=openblas is set but no OpenBLAS library loaded (tried \(OpenBLAS.libraryNames.joined(separator: ", "))); using the Swift kernels")
        }
        for measurement in BenchMeasurement.all where only.isEmpty || only.contains(measurement.name) {
            let result = try measurement.run(context)
            report.merge(result.figures) { _, new in new }
            warnings += result.warnings
        }
        if let busy = SystemLoad.warning() { warnings.append(busy) }
        report["threads"] = Parallel.threadCount
        report["gemm_backend"] = OpenBLAS.selected.map { "openblas (\($0.libraryName))" } ?? "swift"
        report["peak_rss_mb"] = PeakMemory.residentMegabytes()
        report["warnings"] = warnings
        let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
