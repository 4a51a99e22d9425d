import AEPOModel
import Foundation

/// One named measurement of `aepo bench`: runs its workload and returns figures (JSON keys → values)
/// and warnings. To add one, write a `static let` in its own file and list it in `all`.
struct BenchMeasurement: Sendable {
    /// The name `--only` selects, e.g. `gemm`.
    let name: String
    let run: @Sendable (BenchContext) throws -> BenchResult

    /// Every measurement, in the order they run.
    static let all: [BenchMeasurement] = [.gemm, .gemmTrainingShapes, .decodeGemm, .training, .decoding, .serve]
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
    /// How the decoding measurements' KV caches store keys and values (`--kv-cache-dtype`).
    var kvCacheDataType = KVCacheDataType.float32
    /// The most tokens one forward pass of the decoding measurements' engines runs (`--max-num-batched-tokens`).
    var maxTokensPerPass = InferenceEngine.defaultMaxTokensPerPass

    /// The median wall time of one call of `body`, in seconds (see `medianTimes`).
    func medianSeconds(_ body: () throws -> Void) rethrows -> Double {
        try medianTimes(body).wall
    }

    /// The median wall time and the median CPU time of the calling thread for one call of `body`,
    /// in seconds: after a warm-up call, each of `repetitions` samples times enough consecutive
    /// calls to last about 20 ms. On a shared machine the CPU time shows what the code does while
    /// it actually runs (for work done on the calling thread only).
    func medianTimes(_ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
        try body()
        let first = try Self.seconds(calls: 1, body).wall
        let calls = max(1, Int(0.02 / max(first, 1e-9)))
        let samples = try (0..<repetitions).map { _ in try Self.seconds(calls: calls, body) }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] / Double(calls) }
        return (median(samples.map(\.wall)), median(samples.map(\.cpu)))
    }

    /// The median wall time of one call of `body`, in seconds, over `repetitions` single calls after `warmup` untimed
    /// ones: for workloads of seconds or minutes a call.
    func medianSeconds(warmup: Int, _ body: () throws -> Void) rethrows -> Double {
        for _ in 0..<warmup { try body() }
        let samples = try (0..<repetitions).map { _ in try Self.seconds(calls: 1, body).wall }
        return samples.sorted()[samples.count / 2]
    }

    /// The median wall time, in seconds, of `phases` run one after the other, and the median of each phase's, over
    /// `repetitions` runs after `warmup` untimed ones.
    func medianPhaseSeconds(warmup: Int, _ phases: [() throws -> Void]) throws -> (total: Double, phases: [Double]) {
        for _ in 0..<warmup { try phases.forEach { try $0() } }
        let samples = try (0..<repetitions).map { _ in try phases.map { try Self.seconds(calls: 1, $0).wall } }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        return (median(samples.map { $0.reduce(0, +) }), samples[0].indices.map { i in median(samples.map { $0[i] }) })
    }

    private static func seconds(calls: Int, _ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
        let (wall, cpu) = (now(CLOCK_MONOTONIC), now(CLOCK_THREAD_CPUTIME_ID))
        for _ in 0..<calls { try body() }
        return (now(CLOCK_MONOTONIC) - wall, now(CLOCK_THREAD_CPUTIME_ID) - cpu)
    }

    private static func now(_ clock: clockid_t) -> Double {
        var time = timespec()
        clock_gettime(clock, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
