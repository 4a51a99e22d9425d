import AEPOCore

/// How a `KVCache` stores keys and values (vLLM's `kv_cache_dtype`): `float32` as computed; `bfloat16` rounded to the
/// nearest (half the memory); `int8` with one float32 scale per position, key-value head and key or value row,
/// `scale = max|x| / 127`, each element `round(x / scale)` and read back as `scale · q` (an error of at most
/// `scale / 2` per element; about a quarter of float32's memory, scales included). Attention reads every type as
/// float32 and computes in float32.
public enum KVCacheDataType: String, CaseIterable, NamedRegistry, Sendable {
    case float32
    case bfloat16
    case int8

    public static let noun = "kv_cache_dtype"

    /// The bytes of one stored element.
    public var elementSize: Int {
        switch self {
        case .float32: return 4
        case .bfloat16: return 2
        case .int8: return 1
        }
    }

    /// Whether each row of one head at one position carries a float32 scale.
    public var isScaled: Bool { self == .int8 }

    /// The bytes one position takes in the cache of a model shaped as `config`: a key and a value row of every layer,
    /// with their scales.
    public func bytesPerPosition(_ config: Qwen3Config) -> Int {
        let row = config.keyValueWidth * elementSize + (isScaled ? config.numKeyValueHeads * MemoryLayout<Float>.size : 0)
        return config.numHiddenLayers * 2 * row
    }
}
