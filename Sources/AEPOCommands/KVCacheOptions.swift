import AEPOModel
import ArgumentParser

/// `--kv-cache-dtype`: how the native engine's KV cache stores keys and values (`KVCacheDataType`).
struct KVCacheOptions: ParsableArguments {
    @Option(name: .customLong("kv-cache-dtype"), help: """
        How the native engine's KV cache stores keys and values: \
        \(KVCacheDataType.allCases.map(\.name).joined(separator: ", ")) (vLLM's kv_cache_dtype; int8 keeps a float32 \
        scale per position, head and row, about a quarter of float32's memory).
        """)
    var name = KVCacheDataType.float32.name

    func validate() throws {
        _ = try dataType
    }

    /// The chosen type; an error naming `--kv-cache-dtype` and the allowed values.
    var dataType: KVCacheDataType {
        get throws { try KVCacheDataType.named(name, source: "--kv-cache-dtype") }
    }
}
