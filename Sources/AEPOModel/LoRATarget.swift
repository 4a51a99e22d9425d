/// A linear layer of a Qwen3 decoder layer that a LoRA adapter may adapt, by the name PEFT's `target_modules` gives it.
public enum LoRATarget: String, CaseIterable, Sendable {
    case query = "q_proj"
    case key = "k_proj"
    case value = "v_proj"
    case output = "o_proj"
    case gate = "gate_proj"
    case up = "up_proj"
    case down = "down_proj"

    /// The module's path inside a decoder layer, as in Hugging Face's names: `self_attn.q_proj`, `mlp.down_proj`.
    public var modulePath: String {
        switch self {
        case .query, .key, .value, .output: return "self_attn.\(rawValue)"
        case .gate, .up, .down: return "mlp.\(rawValue)"
        }
    }

    /// The name of the adapted weight in layer `layer`: `model.layers.3.self_attn.q_proj.weight`.
    public func weightName(layer: Int) -> String { "model.layers.\(layer).\(modulePath).weight" }

    /// The widths of the adapted weight `[outputs, inputs]` in a model of `config`.
    public func shape(in config: Qwen3Config) -> (inputs: Int, outputs: Int) {
        switch self {
        case .query: return (config.hiddenSize, config.queryWidth)
        case .key, .value: return (config.hiddenSize, config.keyValueWidth)
        case .output: return (config.queryWidth, config.hiddenSize)
        case .gate, .up: return (config.hiddenSize, config.intermediateSize)
        case .down: return (config.intermediateSize, config.hiddenSize)
        }
    }

    /// The names, comma-separated, for messages.
    public static var allNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
