import AEPOCore
import Foundation

/// Measures sampling throughput: a batch of random prompts prefilled together, then every
/// sequence extended one sampled token per batched `decodeStep`, all through the KV cache.
///
/// Counted tokens are the sampled ones (`sequences × newTokens`); the time covers prefill,
/// every decode step and sampling, as a `generate` call's wall time does. `warmup` untimed repetitions come first.
/// The engine's cache stores keys and values as `kvCacheDataType`, and its passes run at most `maxTokensPerPass` tokens.
public enum DecodeBenchmark {
    public struct Result: Sendable {
        /// Median over repetitions of sampled tokens per second.
        public var tokensPerSecond: Double
        /// Wall time of each repetition, in seconds.
        public var seconds: [Double]
        /// Median over repetitions of sampled tokens per second of the calling thread's CPU time:
        /// the machine-independent figure when parallel loops are limited to one thread (on a
        /// shared machine the wall clock also counts time other processes held the core).
        public var tokensPerCPUSecond: Double
        /// Sampled tokens per repetition.
        public var tokens: Int
    }

    public static func run(
        model: Qwen3Model,
        sequences: Int = 16, promptLength: Int = 32, newTokens: Int = 224,
        settings: SamplingSettings = SamplingSettings(temperature: 1),
        repetitions: Int = 5, warmup: Int = 0, seed: UInt64 = 0, kvCacheDataType: KVCacheDataType = .float32,
        maxTokensPerPass: Int = InferenceEngine.defaultMaxTokensPerPass
    ) throws -> Result {
        precondition(sequences > 0 && promptLength > 0 && newTokens > 0 && repetitions > 0, "empty benchmark")
        let config = model.config
        let engine = try InferenceEngine(model: model, kvCacheDataType: kvCacheDataType, maxTokensPerPass: maxTokensPerPass)
        let sampler = Sampler(settings: settings)
        var generator = SeededGenerator(seed: seed)
        let clock = ContinuousClock()
        var seconds: [Double] = [], cpuSeconds: [Double] = []
        for repetition in 0..<(warmup + repetitions) {
            let prompts = (0..<sequences).map { _ in
                (0..<promptLength).map { _ in Int(generator.next() % UInt64(config.vocabSize)) }
            }
            let start = clock.now
            let cpuStart = threadCPUSeconds()
            let batch = prompts.map { _ in engine.makeSequence() }
            var logits = try engine.prefill(Array(zip(batch, prompts)))
            for step in 0..<newTokens {
                let tokens = batch.indices.map { i in
                    sampler.sample(logits, row: i, vocabularySize: config.vocabSize, using: &generator).token
                }
                if step + 1 < newTokens {
                    logits = try engine.decodeStep(sequences: batch, tokens: tokens)
                }
            }
            for s in batch { engine.release(s) }
            guard repetition >= warmup else { continue }
            let elapsed = start.duration(to: clock.now).components
            seconds.append(Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18)
            cpuSeconds.append(threadCPUSeconds() - cpuStart)
        }
        let tokens = sequences * newTokens
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        return Result(tokensPerSecond: Double(tokens) / median(seconds), seconds: seconds,
                      tokensPerCPUSecond: Double(tokens) / median(cpuSeconds), tokens: tokens)
    }

    /// Prefix positions a branch recomputes: a sequence prefills `promptLength` tokens, a fork of
    /// it runs `continuation` more; returns the positions computed for the fork beyond those
    /// new tokens (0 when the fork shares its parent's cache).
    public static func forkRecomputedPositions(model: Qwen3Model, promptLength: Int = 32, continuation: Int = 8) throws -> Int {
        let engine = try InferenceEngine(model: model)
        let vocabulary = model.config.vocabSize
        let parent = engine.makeSequence()
        _ = try engine.prefill(sequence: parent, tokens: (0..<promptLength).map { $0 % vocabulary })
        let before = engine.cache.statistics.computedPositions
        let branch = engine.fork(parent)
        _ = try engine.prefill(sequence: branch, tokens: (0..<continuation).map { (7 * $0) % vocabulary })
        return engine.cache.statistics.computedPositions - before - continuation
    }
}

/// CPU time consumed so far by the calling thread, in seconds.
private func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
