import AEPOCore

/// How good the oracle's demonstrations are: the shares of demonstrations written in each
/// non-direct style. A model trained on them is good but not perfect, so RL has room to improve.
/// The shares are upper bounds: a style that does not fit a question (an early stop needs an
/// earlier finding of the answer's type, a check a second query wording) falls back to `direct`.
public struct OracleConfiguration: Codable, Equatable, Sendable {
    /// Share that add an extra check (a second search, or the calculation typed again).
    public var checkShare: Double
    /// Share that first take a plausible wrong branch (a similar name, a mistyped operator) and recover.
    public var recoveryShare: Double
    /// Share that stop one step early and answer with an intermediate fact (a wrong answer).
    public var earlyStopShare: Double
    /// Share that answer at once with a wrong guess, without a tool call.
    public var guessShare: Double

    public init(checkShare: Double, recoveryShare: Double, earlyStopShare: Double, guessShare: Double = 0) {
        self.checkShare = checkShare
        self.recoveryShare = recoveryShare
        self.earlyStopShare = earlyStopShare
        self.guessShare = guessShare
    }

    private enum CodingKeys: String, CodingKey { case checkShare, recoveryShare, earlyStopShare, guessShare }

    /// Reads the shares; `guessShare` may be absent (benchmarks written before it existed have none).
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(checkShare: try container.decode(Double.self, forKey: .checkShare),
                  recoveryShare: try container.decode(Double.self, forKey: .recoveryShare),
                  earlyStopShare: try container.decode(Double.self, forKey: .earlyStopShare),
                  guessShare: try container.decodeIfPresent(Double.self, forKey: .guessShare) ?? 0)
    }

    /// The default for SFT data: 10 % checks, 10 % recoveries, 5 % early stops.
    public static let standard = OracleConfiguration(checkShare: 0.1, recoveryShare: 0.1, earlyStopShare: 0.05)

    /// The style of one demonstration, drawn with these shares.
    func drawStyle(using rng: inout SeededGenerator) -> DemonstrationStyle {
        var u = rng.nextDouble()
        for (style, share) in [(DemonstrationStyle.earlyStop, earlyStopShare), (.recovered, recoveryShare), (.checked, checkShare), (.guessed, guessShare)] {
            if u < share { return style }
            u -= share
        }
        return .direct
    }

    public func validate(source: String) throws {
        for (field, value) in [("checkShare", checkShare), ("recoveryShare", recoveryShare), ("earlyStopShare", earlyStopShare), ("guessShare", guessShare)]
        where !(0...1).contains(value) {
            throw InputError("must be between 0 and 1, got \(value)", source: source, field: field)
        }
        if checkShare + recoveryShare + earlyStopShare + guessShare > 1 {
            throw InputError("the shares add up to more than 1", source: source, field: "oracle")
        }
    }
}
