import AEPOKernels
import AEPOModel

extension BenchMeasurement {
    /// `decode_tokens_per_s`: 16 random 32-token prompts of the reference configuration (random
    /// weights) prefilled together, then 224 tokens sampled per sequence at temperature 1 through
    /// the KV cache (stored as `--kv-cache-dtype`, passes of `--max-num-batched-tokens`), one batched decode step per token; median over `--repeat` runs. Also
    /// `decode_tokens_per_s_1thread_cputime`, the same on one thread per second of CPU time received
    /// (robust to a shared machine), and `fork_recomputed_prefix_tokens`: what a branch forked
    /// after a 32-token prompt recomputes.
    static let decoding = BenchMeasurement(name: "decode") { context in
        let model = try Qwen3Model(config: try ReferenceConfiguration.load(), seed: 1)
        // One untimed run warms the caches and the thread pool.
        _ = try DecodeBenchmark.run(model: model, newTokens: 8, repetitions: 1, kvCacheDataType: context.kvCacheDataType,
                                    maxTokensPerPass: context.maxTokensPerPass)
        func measure() throws -> DecodeBenchmark.Result {
            try DecodeBenchmark.run(
                model: model, sequences: 16, promptLength: 32, newTokens: 224,
                settings: SamplingSettings(temperature: 1), repetitions: context.repetitions, seed: 2,
                kvCacheDataType: context.kvCacheDataType, maxTokensPerPass: context.maxTokensPerPass)
        }
        let result = try measure()
        let single = try Parallel.withThreadLimit(1) { try measure() }
        return BenchResult(figures: [
            "decode_tokens_per_s": result.tokensPerSecond.rounded(),
            "decode_tokens_per_s_1thread_cputime": single.tokensPerCPUSecond.rounded(),
            "fork_recomputed_prefix_tokens": Double(try DecodeBenchmark.forkRecomputedPositions(model: model)),
        ])
    }
}
