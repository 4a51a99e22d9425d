import AEPOModel
import ArgumentParser

/// The native engine's options, as vLLM names them: `--kv-cache-dtype`, how its KV cache stores keys and values
/// (`KVCacheDataType`), and `--max-num-batched-tokens`, the most tokens one forward pass runs
/// (`InferenceEngine.maxTokensPerPass`).
struct EngineOptions: ParsableArguments {
    @Option(name: .customLong("kv-cache-dtype"), help: """
        How the native engine's KV cache stores keys and values: \
        \(KVCacheDataType.allCases.map(\.name).joined(separator: ", ")) (vLLM's kv_cache_dtype; int8 keeps a float32 \
        scale per position, head and row, about a quarter of float32's memory).
        """)
    var kvCacheDataTypeName = KVCacheDataType.float32.name

    @Option(name: .customLong("max-num-batched-tokens"), help: """
        The most tokens one forward pass of the native engine runs (vLLM's max_num_batched_tokens): a prefill over more \
        runs in passes of at most this many (chunked prefill), and the engine's workspace holds one pass. A positive integer.
        """)
    var maxNumBatchedTokens = InferenceEngine.defaultMaxTokensPerPass

    func validate() throws {
        _ = try kvCacheDataType
        guard maxNumBatchedTokens >= 1 else {
            throw ValidationError("--max-num-batched-tokens must be a positive integer (tokens per forward pass), got \(maxNumBatchedTokens)")
        }
    }

    /// The chosen type; an error naming `--kv-cache-dtype` and the allowed values.
    var kvCacheDataType: KVCacheDataType {
        get throws { try KVCacheDataType.named(kvCacheDataTypeName, source: "--kv-cache-dtype") }
    }
}
