import AEPOCore

/// One case of `aepo inspect advantages`: an estimator, one score per sequence, group ids and a B×T mask.
public struct AdvantageRequest: Decodable, Sendable {
    public var estimator: String
    /// One outcome score per sequence; it sits on the sequence's last valid token.
    public var scores: [Double]
    public var groupIDs: [Int]
    public var mask: [[Double]]
    /// Discount of `reinforce++` (default 1).
    public var gamma: Double?
    /// `verl` (default here, as the reference library) or `zero`; see `AdvantageOptions.SingletonGroup`.
    public var singletonGroup: String?

    enum CodingKeys: String, CodingKey {
        case estimator, scores, mask, gamma
        case groupIDs = "group_ids", singletonGroup = "singleton_group"
    }

    /// The printed answer: `{"advantages": [[…]]}`.
    public struct Reply: Encodable, Equatable, Sendable {
        public var advantages: [[Double]]
    }

    /// Validates the case and evaluates it; errors name `source` and the field.
    public func evaluate(source: String = "input", fieldPrefix: String = "") throws -> Reply {
        func field(_ name: String) -> String { fieldPrefix + name }
        let chosen = try AdvantageEstimator.named(estimator, source: source, field: field("estimator"))
        let maskMatrix = try TokenMatrix(mask, field: field("mask"), source: source)
        guard scores.count == maskMatrix.rows else {
            throw InputError("\(scores.count) scores for \(maskMatrix.rows) mask rows; expected one per sequence",
                             source: source, field: field("scores"))
        }
        guard groupIDs.count == maskMatrix.rows else {
            throw InputError("\(groupIDs.count) group ids for \(maskMatrix.rows) mask rows; expected one per sequence",
                             source: source, field: field("group_ids"))
        }
        var options = AdvantageOptions(gamma: gamma ?? 1, singletonGroup: .verl)
        if let singletonGroup {
            guard let rule = AdvantageOptions.SingletonGroup(rawValue: singletonGroup) else {
                throw InputError("expected one of verl, zero", source: source, field: field("singleton_group"))
            }
            options.singletonGroup = rule
        }
        let input = AdvantageInput(scores: scores, groupIDs: groupIDs, mask: maskMatrix)
        return Reply(advantages: chosen(input, options: options).nested)
    }
}
