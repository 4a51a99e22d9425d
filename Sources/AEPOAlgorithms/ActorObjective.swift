/// The actor's full per-batch objective: the policy loss (on entropy-aware advantages for AEPO), plus an
/// optional KL-to-reference loss, minus an optional entropy bonus, all aggregated by one `LossAggregation`
/// (verl's `policy_loss + kl_coef · kl_loss − entropy_coeff · entropy`).
public struct ActorObjective: Sendable {
    public var policyLoss: PolicyLoss
    public var settings: PolicyLossSettings
    public var aggregation: LossAggregation
    /// `a` of `Ã = A·(1 + a·z(H))` (docs/algorithm.md §4.4); `nil` leaves the advantages as they are.
    public var entropyAdvantageCoefficient: Double?
    /// KL to a frozen reference in the loss; `nil` for none.
    public var klLoss: (estimator: KLPenalty, coefficient: Double)?
    /// Entropy bonus coefficient (0: none).
    public var entropyCoefficient: Double

    public init(policyLoss: PolicyLoss, settings: PolicyLossSettings = PolicyLossSettings(),
                aggregation: LossAggregation = .tokenMean, entropyAdvantageCoefficient: Double? = nil,
                klLoss: (estimator: KLPenalty, coefficient: Double)? = nil, entropyCoefficient: Double = 0) {
        self.policyLoss = policyLoss
        self.settings = settings
        self.aggregation = aggregation
        self.entropyAdvantageCoefficient = entropyAdvantageCoefficient
        self.klLoss = klLoss
        self.entropyCoefficient = entropyCoefficient
    }

    /// The value and gradients of one micro-batch (or a whole mini-batch).
    public struct Result: Sendable {
        public var loss: Double
        public var policyLoss: Double
        /// Aggregated KL term (before its coefficient); 0 without a KL loss.
        public var klLoss: Double
        /// Aggregated entropy (before its coefficient).
        public var entropy: Double
        /// `d loss / d log π_θ`, B×T.
        public var gradLogProbs: TokenMatrix
        /// `d loss / d H_t`, B×T: the per-token weight the model's backward applies to the entropy; all 0
        /// without an entropy bonus (the entropy-aware advantage uses the entropy detached).
        public var gradEntropies: TokenMatrix
        public var statistics: ClipStatistics
        /// The entropy-aware advantage's factors `1 + a·z_t` (docs/algorithm.md §4.4), B×T; nil when it is off.
        public var entropyAdvantageWeights: TokenMatrix?
    }

    /// Evaluates the objective. `entropies` is required when the entropy-aware advantage or the entropy bonus
    /// is on, `refLogProbs` when the KL loss is. `entropyNormalization` is the entropy z-score's statistics over
    /// the whole mini-batch when `input` is one micro-batch of it (default: over `input`). `importanceWeights` (the
    /// rollout correction's, docs/algorithm.md §5.11) multiply the policy loss's terms, not the KL loss or the entropy.
    public func callAsFunction(_ input: PolicyLossInput, entropies: TokenMatrix? = nil, refLogProbs: TokenMatrix? = nil,
                               tokenCount: Double? = nil, sequenceCount: Double? = nil,
                               entropyNormalization: EntropyAwareAdvantage.Normalization? = nil,
                               importanceWeights: TokenMatrix? = nil) -> Result {
        var input = input
        var entropyAdvantageWeights: TokenMatrix?
        if let a = entropyAdvantageCoefficient {
            guard let entropies else { preconditionFailure("the entropy-aware advantage needs the token entropies") }
            let weights = EntropyAwareAdvantage.weights(entropies: entropies, mask: input.mask, coefficient: a,
                                                        normalization: entropyNormalization)
            input.advantages = EntropyAwareAdvantage.transform(input.advantages, weights: weights)
            entropyAdvantageWeights = weights
        }
        let policy = policyLoss(input, settings: settings, aggregation: aggregation,
                                tokenCount: tokenCount, sequenceCount: sequenceCount, tokenWeights: importanceWeights)
        let weights = aggregation.weights(mask: input.mask, tokenCount: tokenCount, sequenceCount: sequenceCount)
        var result = Result(loss: policy.loss, policyLoss: policy.loss, klLoss: 0, entropy: 0,
                            gradLogProbs: policy.gradLogProbs,
                            gradEntropies: TokenMatrix(rows: input.mask.rows, columns: input.mask.columns),
                            statistics: policy.statistics, entropyAdvantageWeights: entropyAdvantageWeights)
        if let (estimator, beta) = klLoss {
            guard let refLogProbs else { preconditionFailure("the KL loss needs the reference log-probs") }
            let kl = estimator.terms(logProbs: input.logProbs, refLogProbs: refLogProbs)
            result.klLoss = aggregation.aggregate(kl.values, mask: input.mask, tokenCount: tokenCount, sequenceCount: sequenceCount)
            result.loss += beta * result.klLoss
            for i in weights.values.indices where weights.values[i] != 0 {
                result.gradLogProbs.values[i] += beta * weights.values[i] * kl.gradients.values[i]
            }
        }
        if let entropies, entropyCoefficient != 0 || entropyAdvantageCoefficient != nil {
            result.entropy = aggregation.aggregate(entropies, mask: input.mask, tokenCount: tokenCount, sequenceCount: sequenceCount)
        }
        if entropyCoefficient != 0 {
            result.loss -= entropyCoefficient * result.entropy
            result.gradEntropies = weights.map { -entropyCoefficient * $0 }
        }
        return result
    }
}
