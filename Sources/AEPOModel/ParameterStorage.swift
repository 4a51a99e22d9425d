/// How a `Qwen3Model` holds its parameters.
///
/// The rule: a model that will not be trained — the base of a LoRA adapter, the frozen reference of a KL term, a model
/// loaded to serve, evaluate, roll out or inspect — holds them in bfloat16 when bfloat16 holds every value exactly, as
/// it does every weight of a checkpoint saved in BF16; anything else, and every model whose parameters train, holds
/// float32. Either way the model computes in float32 and gives the same results: bfloat16 is widened exactly where the
/// kernels read it.
public enum ParameterStorage: String, Sendable {
    case float32
    case bfloat16

    /// The bytes one parameter takes.
    public var bytesPerParameter: Int { self == .float32 ? 4 : 2 }
}
