import AEPOCore
import Foundation

/// PEFT's directory of a LoRA adapter, as `save_pretrained` writes it and `PeftModel.from_pretrained(base, DIR)` reads
/// it: `adapter_config.json` (`peft_type` "LORA", `r`, `lora_alpha`, `lora_dropout`, `target_modules`, `use_rslora`, …)
/// and `adapter_model.safetensors` with PEFT's tensor names (`LoRAAdapter.tensorName`), or, without it,
/// `adapter_model.bin` (`save_pretrained(..., safe_serialization=False)`, read by `TorchCheckpoint`) with the same names.
///
/// Reading is strict: what this engine does not compute (DoRA, adapter biases, per-module ranks or alphas, a subset of
/// layers, extra trained modules, fan-in-fan-out weights, a regular expression of modules) is refused, as is a tensor
/// that is missing, of another shape than the base model implies, not finite, or not part of the adapter; each error
/// names the file and the field or tensor.
public enum PEFTAdapterFormat {
    public static let configFileName = "adapter_config.json"
    public static let weightsFileName = "adapter_model.safetensors"
    /// The weights `torch.save` wrote, read when `weightsFileName` is absent.
    public static let pytorchWeightsFileName = "adapter_model.bin"

    /// The field of `adapter_config.json` that holds each part of a `LoRAConfig`.
    static func field(_ field: LoRAConfig.Field) -> String {
        switch field {
        case .rank: return "r"
        case .alpha: return "lora_alpha"
        case .targets: return "target_modules"
        case .dropout: return "lora_dropout"
        }
    }

    /// The adapter's configuration from `directory`'s `adapter_config.json`, and the base model it names.
    public static func readConfig(directory: URL) throws -> (config: LoRAConfig, baseModel: String?) {
        let url = directory.appendingPathComponent(configFileName)
        guard let data = try? Data(contentsOf: url) else {
            throw InputError("cannot read file (a PEFT adapter directory holds \(configFileName) and \(weightsFileName) or "
                             + "\(pytorchWeightsFileName))", source: url.path)
        }
        let keys = try ConfigKeys(json: data, source: url.path)
        let type = try keys.string("peft_type")
        guard type == "LORA" else { throw keys.error("peft_type", "adapters of type '\(type)' are not supported; expected 'LORA'") }
        for (flag, what) in [("use_dora", "DoRA"), ("fan_in_fan_out", "fan-in-fan-out weights"), ("lora_bias", "adapter biases")] {
            if try keys.optionalBool(flag) == true { throw keys.error(flag, "\(what) are not supported; expected false") }
        }
        if let bias = try keys.optionalString("bias"), bias != "none" {
            throw keys.error("bias", "bias '\(bias)' is not supported; expected 'none'")
        }
        for name in ["rank_pattern", "alpha_pattern"] where !(keys.object[name]?.objectValue?.isEmpty ?? true) {
            throw keys.error(name, "per-module ranks and alphas are not supported; expected {}")
        }
        for name in ["layers_to_transform", "layers_pattern", "modules_to_save", "exclude_modules", "trainable_token_indices"] {
            if let value = keys.object[name], value != .null, value.arrayValue?.isEmpty != true {
                throw keys.error(name, "is not supported; expected null (every layer adapted, no other module trained)")
            }
        }
        let config = LoRAConfig(rank: try keys.positiveInt("r"), alpha: try keys.double("lora_alpha"),
                                targets: try targets(keys), dropout: try keys.optionalDouble("lora_dropout") ?? 0,
                                usesRankStabilizedScaling: try keys.optionalBool("use_rslora") ?? false)
        return (config, try keys.optionalString("base_model_name_or_path"))
    }

    /// `target_modules`: a list of module names, or `"all-linear"` (every linear layer of a decoder layer).
    private static func targets(_ keys: ConfigKeys) throws -> [LoRATarget] {
        let value = keys.object["target_modules"] ?? .null
        if value.stringValue == "all-linear" { return LoRATarget.allCases }
        guard let items = value.arrayValue else {
            throw keys.error("target_modules", "expected a list of module names (of \(LoRATarget.allNames)) or \"all-linear\", found "
                             + (value.stringValue.map { "the pattern '\($0)'" } ?? value.typeName))
        }
        let names = try items.map { item in
            guard let name = item.stringValue else { throw keys.error("target_modules", "expected module names, found \(item.typeName)") }
            return name
        }
        return try LoRAConfig.targets(names, source: keys.source, field: "target_modules")
    }

    /// Reads the adapter in `directory` for a base model of `model`'s shape.
    public static func load(directory: URL, model: Qwen3Config) throws -> LoRAAdapter {
        let (config, _) = try readConfig(directory: directory)
        try config.validate(for: model, source: directory.appendingPathComponent(configFileName).path, name: field)
        guard let format = WeightFileFormat.allCases.first(where: {
            FileManager.default.fileExists(atPath: directory.appendingPathComponent($0.adapterFileName).path)
        }) else {
            throw InputError("missing: a PEFT adapter's weights are read from \(weightsFileName), or else \(pytorchWeightsFileName)",
                             source: directory.appendingPathComponent(weightsFileName).path)
        }
        let url = directory.appendingPathComponent(format.adapterFileName)
        let file = try format.open(url)
        var unused = Set(file.tensors.keys)
        let adapter = try LoRAAdapter(config: config, model: model) { entry, values in
            guard let info = file.tensors[entry.name] else {
                throw InputError("missing tensor '\(entry.name)' (shape \(entry.shape)) that adapter_config.json's target_modules imply",
                                 source: url.path)
            }
            guard info.shape == entry.shape else {
                throw InputError("tensor '\(entry.name)' has shape \(info.shape), but the base model implies \(entry.shape): "
                                 + "the adapter was made for a base model of another shape", source: url.path)
            }
            try file.read(entry.name, into: values)
            if let index = values.firstIndex(where: { !$0.isFinite }) {
                throw InputError("tensor '\(entry.name)' holds \(values[index]) at element \(index); weights must be finite", source: url.path)
            }
            unused.remove(entry.name)
        }
        if let name = unused.min() {
            let more = unused.count > 1 ? " (and \(unused.count - 1) more)" : ""
            throw InputError("unexpected tensor '\(name)'\(more), not part of a LoRA adapter of the configured modules for a base model "
                             + "of \(model.numHiddenLayers) layers", source: url.path)
        }
        return adapter
    }

    /// Writes `adapter` as PEFT's directory (`adapter_config.json`, an F32 `adapter_model.safetensors`) in one atomic
    /// directory replacement; `baseModel` becomes `base_model_name_or_path`.
    public static func save(_ adapter: LoRAAdapter, to directory: URL, baseModel: String) throws {
        let c = adapter.config
        let alpha: JSONValue = c.alpha == c.alpha.rounded() && abs(c.alpha) < 1e15 ? .integer(Int(c.alpha)) : .number(c.alpha)
        let config: [String: JSONValue] = [
            "peft_type": .string("LORA"), "task_type": .string("CAUSAL_LM"), "base_model_name_or_path": .string(baseModel),
            "r": .integer(c.rank), "lora_alpha": alpha, "lora_dropout": .number(c.dropout),
            "target_modules": .array(c.targets.map { .string($0.rawValue) }), "use_rslora": .bool(c.usesRankStabilizedScaling),
            "bias": .string("none"), "fan_in_fan_out": .bool(false), "use_dora": .bool(false), "init_lora_weights": .bool(true),
            "inference_mode": .bool(true), "modules_to_save": .null, "layers_to_transform": .null, "layers_pattern": .null,
            "rank_pattern": .object([:]), "alpha_pattern": .object([:]), "revision": .null,
        ]
        let tensors = adapter.entries.map {
            Safetensors.Tensor(name: $0.name, shape: $0.shape, memory: UnsafeBufferPointer(rebasing: adapter.parameters[$0.offset..<$0.offset + $0.count]))
        }
        try AtomicFile.writeDirectory(at: directory) { temporary in
            try (JSONValue.object(config).serialized(indent: 2) + "\n").write(to: temporary.appendingPathComponent(configFileName),
                                                                              atomically: false, encoding: .utf8)
            try Safetensors.write(tensors, metadata: ["format": "pt"], to: temporary.appendingPathComponent(weightsFileName))
        }
    }
}
