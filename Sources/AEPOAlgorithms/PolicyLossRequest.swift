import AEPOCore

/// One case of `aepo inspect policy-loss`: a loss, its settings and B×T inputs, in verl-like JSON names.
public struct PolicyLossRequest: Decodable, Sendable {
    public var loss: String
    public var clipRatioLow: Double
    public var clipRatioHigh: Double
    public var clipRatioC: Double?
    public var gppoBetaLow: Double?
    public var gppoBetaHigh: Double?
    /// When present, `advantages` first go through `EntropyAwareAdvantage` with `entropies`.
    public var entropyAdvantageCoef: Double?
    public var lossAggMode: String
    public var oldLogProbs: [[Double]]
    public var logProbs: [[Double]]
    public var advantages: [[Double]]
    public var mask: [[Double]]
    public var entropies: [[Double]]?

    enum CodingKeys: String, CodingKey {
        case loss, mask, advantages, entropies
        case clipRatioLow = "clip_ratio_low", clipRatioHigh = "clip_ratio_high", clipRatioC = "clip_ratio_c"
        case gppoBetaLow = "gppo_beta_low", gppoBetaHigh = "gppo_beta_high"
        case entropyAdvantageCoef = "entropy_advantage_coef", lossAggMode = "loss_agg_mode"
        case oldLogProbs = "old_log_probs", logProbs = "log_probs"
    }

    /// The printed answer: `{"loss": x, "grad_log_probs": [[…]]}`.
    public struct Reply: Encodable, Equatable, Sendable {
        public var loss: Double
        public var gradLogProbs: [[Double]]

        enum CodingKeys: String, CodingKey {
            case loss
            case gradLogProbs = "grad_log_probs"
        }
    }

    /// Validates the case and evaluates it; errors name `source` and the field (prefixed by `fieldPrefix`,
    /// e.g. `[2].`, for an element of an array).
    public func evaluate(source: String = "input", fieldPrefix: String = "") throws -> Reply {
        func field(_ name: String) -> String { fieldPrefix + name }
        let policyLoss = try PolicyLoss.named(loss, source: source, field: field("loss"))
        let aggregation = try LossAggregation.named(lossAggMode, source: source, field: field("loss_agg_mode"))
        let settings = PolicyLossSettings(clipRatioLow: clipRatioLow, clipRatioHigh: clipRatioHigh,
                                          clipRatioC: clipRatioC ?? 3,
                                          gppoBetaLow: gppoBetaLow ?? 1, gppoBetaHigh: gppoBetaHigh ?? 1)
        try settings.validate(source: source, fieldPrefix: fieldPrefix)
        let maskMatrix = try TokenMatrix(mask, field: field("mask"), source: source)
        func matrix(_ rows: [[Double]], _ name: String) throws -> TokenMatrix {
            let m = try TokenMatrix(rows, field: field(name), source: source)
            guard m.hasShape(of: maskMatrix) else {
                throw InputError("shape \(m.rows)×\(m.columns) differs from mask's \(maskMatrix.rows)×\(maskMatrix.columns)",
                                 source: source, field: field(name))
            }
            return m
        }
        let input = PolicyLossInput(oldLogProbs: try matrix(oldLogProbs, "old_log_probs"),
                                    logProbs: try matrix(logProbs, "log_probs"),
                                    advantages: try matrix(advantages, "advantages"), mask: maskMatrix)
        var entropyMatrix: TokenMatrix?
        if entropyAdvantageCoef != nil {
            guard let entropies else {
                throw InputError("required when entropy_advantage_coef is set", source: source, field: field("entropies"))
            }
            entropyMatrix = try matrix(entropies, "entropies")
        }
        let objective = ActorObjective(policyLoss: policyLoss, settings: settings, aggregation: aggregation,
                                       entropyAdvantageCoefficient: entropyAdvantageCoef)
        let result = objective(input, entropies: entropyMatrix)
        return Reply(loss: result.loss, gradLogProbs: result.gradLogProbs.nested)
    }
}

extension PolicyLossSettings {
    /// Checks the ranges: `0 ≤ ε_l < 1`, `ε_h ≥ 0`, `c > 1`, `β ≥ 0`; errors name the verl key.
    public func validate(source: String, fieldPrefix: String = "") throws {
        func check(_ ok: Bool, _ key: String, _ expected: String) throws {
            if !ok { throw InputError("expected \(expected)", source: source, field: fieldPrefix + key) }
        }
        try check(clipRatioLow >= 0 && clipRatioLow < 1, "clip_ratio_low", "a number in [0, 1)")
        try check(clipRatioHigh >= 0 && clipRatioHigh.isFinite, "clip_ratio_high", "a finite number ≥ 0")
        try check(clipRatioC > 1 && clipRatioC.isFinite, "clip_ratio_c", "a finite number > 1")
        try check(gppoBetaLow >= 0 && gppoBetaLow.isFinite, "gppo_beta_low", "a finite number ≥ 0")
        try check(gppoBetaHigh >= 0 && gppoBetaHigh.isFinite, "gppo_beta_high", "a finite number ≥ 0")
    }
}
