import Dispatch

/// One named measurement of `aepo bench`: runs its workload and returns figures (JSON keys → values)
/// and warnings. To add one, write a `static let` in its own file and list it in `all`.
struct BenchMeasurement: Sendable {
    /// The name `--only` selects, e.g. `gemm`.
    let name: String
    let run: @Sendable (BenchContext) throws -> BenchResult

    /// Every measurement, in the order they run.
    static let all: [BenchMeasurement] = [.gemm, .gemmTrainingShapes, .decodeGemm, .training]
}

/// What a measurement reports: figures keyed by their JSON name, and human-readable warnings.
struct BenchResult {
    var figures: [String: Double] = [:]
    var warnings: [String] = []
}

/// Shared settings and the timing helper.
struct BenchContext: Sendable {
    /// Timed repetitions per figure (`--repeat`); the figure is their median.
    let repetitions: Int

    /// The median wall time of one call of `body`, in seconds: after two warm-up calls, each of
    /// `repetitions` samples times enough consecutive calls to last about 20 ms.
    func medianSeconds(_ body: () -> Void) -> Double {
        body()
        let first = Self.seconds(calls: 1, body)
        let calls = max(1, Int(0.02 / max(first, 1e-9)))
        var samples = (0..<max(1, repetitions)).map { _ in Self.seconds(calls: calls, body) / Double(calls) }
        samples.sort()
        return samples[samples.count / 2]
    }

    private static func seconds(calls: Int, _ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<calls { body() }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
