import AEPOCore

/// What a LoRA adapter is, as PEFT's `LoraConfig` says it: rank `r`, `lora_alpha`, the adapted modules, the dropout
/// on their inputs, and the scaling `s = alpha / r` of `y = W x + s · B(A(dropout(x)))` (`alpha / √r` with
/// rank-stabilised scaling, PEFT's `use_rslora`).
public struct LoRAConfig: Equatable, Sendable {
    public var rank: Int
    public var alpha: Double
    /// The adapted modules, distinct, in `LoRATarget.allCases` order.
    public var targets: [LoRATarget]
    /// The probability of zeroing an input element of an adapter during training, in [0, 1).
    public var dropout: Double
    public var usesRankStabilizedScaling: Bool

    public init(rank: Int, alpha: Double, targets: [LoRATarget], dropout: Double = 0, usesRankStabilizedScaling: Bool = false) {
        self.rank = rank
        self.alpha = alpha
        self.targets = LoRATarget.allCases.filter(targets.contains)
        self.dropout = dropout
        self.usesRankStabilizedScaling = usesRankStabilizedScaling
    }

    /// The adapter's parameters for a model of `model`: `r · (in + out)` per adapted module and layer.
    public func parameterCount(for model: Qwen3Config) -> Int {
        model.numHiddenLayers * targets.reduce(0) { sum, target in
            let (inputs, outputs) = target.shape(in: model)
            return sum + rank * (inputs + outputs)
        }
    }

    /// `s` = alpha / r, or alpha / √r with rank-stabilised scaling.
    public var scale: Float {
        Float(usesRankStabilizedScaling ? alpha / Double(rank).squareRoot() : alpha / Double(rank))
    }

    /// A field of the configuration, for errors that name where it was written.
    public enum Field: Sendable {
        case rank, alpha, targets, dropout
    }

    /// The targets named in `text`, a comma-separated list of module names (`q_proj,v_proj`); an error naming
    /// `source` and `field` for an unknown name.
    public static func targets(parsing text: String, source: String, field: String) throws -> [LoRATarget] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return try targets(names, source: source, field: field)
    }

    /// The targets of `names`; an error naming `source` and `field` for an unknown name.
    static func targets(_ names: [String], source: String, field: String) throws -> [LoRATarget] {
        try names.map { name in
            guard let target = LoRATarget(rawValue: name) else {
                throw InputError("unknown target module '\(name)'; a Qwen3 layer has \(LoRATarget.allNames)", source: source, field: field)
            }
            return target
        }
    }

    /// Refuses what no adapter (of a model of `model`, when given) can be: a rank ≤ 0 (or larger than an adapted
    /// weight's smaller side), an alpha that is not a positive number, a dropout outside [0, 1), no target. Errors name
    /// `source` and the field as `name` spells it.
    public func validate(for model: Qwen3Config?, source: String, name: (Field) -> String) throws {
        guard rank > 0 else { throw InputError("the rank must be positive, got \(rank)", source: source, field: name(.rank)) }
        for target in targets {
            guard let model else { break }
            let (inputs, outputs) = target.shape(in: model)
            guard rank <= min(inputs, outputs) else {
                throw InputError("rank \(rank) is larger than \(target.rawValue)'s \(outputs) × \(inputs) weight; use at most \(min(inputs, outputs))",
                                 source: source, field: name(.rank))
            }
        }
        guard alpha.isFinite && alpha > 0 else {
            throw InputError("alpha must be a positive number, got \(alpha)", source: source, field: name(.alpha))
        }
        guard dropout >= 0 && dropout < 1 else {
            throw InputError("dropout must be in [0, 1), got \(dropout)", source: source, field: name(.dropout))
        }
        guard !targets.isEmpty else {
            throw InputError("expected at least one module to adapt, of \(LoRATarget.allNames)", source: source, field: name(.targets))
        }
    }
}
