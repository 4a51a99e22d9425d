import AEPOAgent
import AEPOCore
import AEPORollout

/// The complete, resolved description of an RL algorithm: rollout, advantage, loss and optimisation settings.
///
/// Keys follow verl's names (`algorithm.adv_estimator`, `actor.clip_ratio_high`, `rollout.n`, …); every key
/// can be overridden by name (`KeyedConfiguration`: `actor.clip_ratio_high=0.3`). `AlgorithmPreset` gives the
/// eight named starting points.
public struct AlgorithmConfig: KeyedConfiguration, Equatable, Sendable {
    /// The preset this configuration started from (informational).
    public var name: String

    public var algorithm = Algorithm()
    public var actor = Actor()
    public var rollout = Rollout()
    public var data = DataSettings()

    public init(name: String) {
        self.name = name
    }

    /// Advantage and reward settings (`algorithm.*`).
    public struct Algorithm: Equatable, Sendable {
        /// `algorithm.adv_estimator`: a name in `AdvantageEstimator.all`.
        public var advEstimator = "grpo"
        /// `algorithm.gamma`: discount of `reinforce++`.
        public var gamma = 1.0
        /// `algorithm.singleton_group`: advantage of a question with a single trajectory.
        public var singletonGroup = AdvantageOptions.SingletonGroup.zero
        /// `algorithm.entropy_advantage_coef`: `a` of AEPO's `Ã = A·(1 + a·z(H))`; 0 turns it off.
        public var entropyAdvantageCoef = 0.0
        /// `algorithm.use_kl_in_reward`, `algorithm.kl_penalty`, `algorithm.kl_ctrl.kl_coef`: KL to the
        /// reference subtracted from the token rewards.
        public var useKLInReward = false
        public var klPenalty = KLPenalty.k1
        public var klCoef = 0.001
        /// `algorithm.filter_groups.enable`: DAPO's dynamic sampling (drop groups whose rewards are all equal
        /// and sample more questions to refill the batch), at most `max_num_gen_batches` generation rounds.
        public var filterGroups = false
        public var filterGroupsMaxGenBatches = 4
        /// `algorithm.overlong_buffer.*`: DAPO's soft overlong penalty (see `OverlongRewardShaping`).
        public var overlongBuffer = false
        public var overlongBufferLength = 1024
        public var overlongPenaltyFactor = 1.0
        /// `algorithm.rollout_correction.*`: truncated and masked importance sampling between the sampler's log-probs and
        /// the trainer's (`RolloutCorrection`); `auto` turns them on for a remote sampler only.
        public var rolloutCorrection = RolloutCorrection()
    }

    /// Policy-update settings (`actor.*`).
    @dynamicMemberLookup
    public struct Actor: Equatable, Sendable {
        /// `actor.policy_loss`: a name in `PolicyLoss.all`.
        public var policyLoss = "ppo-clip"
        /// `actor.clip_ratio_low`, `actor.clip_ratio_high`, `actor.clip_ratio_c`, `actor.gppo_beta_low`,
        /// `actor.gppo_beta_high`: the loss's settings, read as the actor's own (`actor.clipRatioHigh`).
        public var lossSettings = PolicyLossSettings()
        public var lossAggMode = LossAggregation.tokenMean
        /// `actor.ppo_epochs`: passes over each batch.
        public var ppoEpochs = 1
        /// `actor.ppo_mini_batch_size`: questions per optimizer step.
        public var ppoMiniBatchSize = 8
        /// `actor.optim.lr`, `actor.optim.weight_decay` (constant schedule), `actor.grad_clip` (global norm).
        public var lr = 1e-6
        public var weightDecay = 0.01
        public var gradClip = 1.0
        /// `actor.use_kl_loss`, `actor.kl_loss_type`, `actor.kl_loss_coef`: KL to the reference in the loss.
        public var useKLLoss = false
        public var klLossType = KLPenalty.k3
        public var klLossCoef = 0.001
        /// `actor.entropy_coeff`: entropy bonus (0: none).
        public var entropyCoeff = 0.0
        /// `actor.temperature_consistent`: the training forward (old, current and reference log-probs, token
        /// entropies) evaluates `softmax(z/T)` with T = `rollout.temperature`, the distribution the rollout samples
        /// from (as verl's actor divides the logits by the rollout temperature); false evaluates `softmax(z)`.
        public var temperatureConsistent = true

        public subscript<Value>(dynamicMember path: WritableKeyPath<PolicyLossSettings, Value>) -> Value {
            get { lossSettings[keyPath: path] }
            set { lossSettings[keyPath: path] = newValue }
        }
    }

    /// Sampling settings (`rollout.*`).
    public struct Rollout: Equatable, Sendable {
        public var strategy = RolloutStrategy.independent
        /// `rollout.n`: k, trajectories per question.
        public var n = 12
        /// `rollout.initial_rollouts`: m, root trajectories of a tree (a fixed m when pre-monitoring is off).
        public var initialRollouts = 6
        public var temperature = 1.0
        /// `rollout.response_length`: generated tokens per trajectory (tool output excluded).
        public var responseLength = 6192
        /// `rollout.max_tool_calls`: per trajectory; past it the trajectory ends.
        public var maxToolCalls = 6
        /// `rollout.entropy_window`: K, tokens of a segment summed into `H_seg`.
        public var entropyWindow = SegmentEntropy.defaultWindow
        /// `rollout.branch.*`: ARPO/AEPO branching (see `BranchPolicy`).
        public var branch = BranchPolicy.Settings()
        /// `rollout.budget.pre_monitor`, `rollout.budget.beta`: AEPO's entropy pre-monitoring (`BudgetAllocator`).
        public var preMonitor = false
        public var budgetBeta = BudgetAllocator.defaultBeta
    }

    /// Batch sizes (`data.*`).
    public struct DataSettings: Equatable, Sendable {
        /// `data.train_batch_size`: questions per training step.
        public var trainBatchSize = 64
    }
}

extension AlgorithmConfig {
    /// One overridable key: its dotted name, the type it expects, and how to read and write it.
    public typealias Key = ConfigKey<AlgorithmConfig>

    /// Every key, in the order a resolved configuration is written.
    public static let keys: [Key] = [
        Key("algorithm.adv_estimator", \.algorithm.advEstimator),
        Key("algorithm.gamma", \.algorithm.gamma),
        Key("algorithm.singleton_group", \.algorithm.singletonGroup),
        Key("algorithm.entropy_advantage_coef", \.algorithm.entropyAdvantageCoef),
        Key("algorithm.use_kl_in_reward", \.algorithm.useKLInReward),
        Key("algorithm.kl_penalty", \.algorithm.klPenalty),
        Key("algorithm.kl_ctrl.kl_coef", \.algorithm.klCoef),
        Key("algorithm.filter_groups.enable", \.algorithm.filterGroups),
        Key("algorithm.filter_groups.max_num_gen_batches", \.algorithm.filterGroupsMaxGenBatches),
        Key("algorithm.overlong_buffer.enable", \.algorithm.overlongBuffer),
        Key("algorithm.overlong_buffer.len", \.algorithm.overlongBufferLength),
        Key("algorithm.overlong_buffer.penalty_factor", \.algorithm.overlongPenaltyFactor),
        Key("algorithm.rollout_correction.rollout_is", \.algorithm.rolloutCorrection.weighting),
        Key("algorithm.rollout_correction.rollout_is_threshold", \.algorithm.rolloutCorrection.weightThreshold),
        Key("algorithm.rollout_correction.rollout_rs", \.algorithm.rolloutCorrection.rejection),
        Key("algorithm.rollout_correction.rollout_rs_threshold", \.algorithm.rolloutCorrection.rejectionThreshold),
        Key("actor.policy_loss", \.actor.policyLoss),
        Key("actor.clip_ratio_low", \.actor.lossSettings.clipRatioLow),
        Key("actor.clip_ratio_high", \.actor.lossSettings.clipRatioHigh),
        Key("actor.clip_ratio_c", \.actor.lossSettings.clipRatioC),
        Key("actor.gppo_beta_low", \.actor.lossSettings.gppoBetaLow),
        Key("actor.gppo_beta_high", \.actor.lossSettings.gppoBetaHigh),
        Key("actor.loss_agg_mode", \.actor.lossAggMode),
        Key("actor.ppo_epochs", \.actor.ppoEpochs),
        Key("actor.ppo_mini_batch_size", \.actor.ppoMiniBatchSize),
        Key("actor.optim.lr", \.actor.lr),
        Key("actor.optim.weight_decay", \.actor.weightDecay),
        Key("actor.grad_clip", \.actor.gradClip),
        Key("actor.use_kl_loss", \.actor.useKLLoss),
        Key("actor.kl_loss_type", \.actor.klLossType),
        Key("actor.kl_loss_coef", \.actor.klLossCoef),
        Key("actor.entropy_coeff", \.actor.entropyCoeff),
        Key("actor.temperature_consistent", \.actor.temperatureConsistent),
        Key("rollout.strategy", \.rollout.strategy),
        Key("rollout.n", \.rollout.n),
        Key("rollout.initial_rollouts", \.rollout.initialRollouts),
        Key("rollout.temperature", \.rollout.temperature),
        Key("rollout.response_length", \.rollout.responseLength),
        Key("rollout.max_tool_calls", \.rollout.maxToolCalls),
        Key("rollout.entropy_window", \.rollout.entropyWindow),
        Key("rollout.branch.alpha", \.rollout.branch.alpha),
        Key("rollout.branch.gamma", \.rollout.branch.gamma),
        Key("rollout.branch.penalty", \.rollout.branch.penalty),
        Key("rollout.branch.penalty_form", \.rollout.branch.form),
        Key("rollout.branch.penalty_scope", \.rollout.branch.scope),
        Key("rollout.branch.threshold", \.rollout.branch.threshold),
        Key("rollout.budget.pre_monitor", \.rollout.preMonitor),
        Key("rollout.budget.beta", \.rollout.budgetBeta),
        Key("data.train_batch_size", \.data.trainBatchSize),
    ]

    /// Checks names and ranges; errors name the offending key.
    public func validate(source: String = "config") throws {
        func check(_ ok: Bool, _ key: String, _ expected: String) throws { try require(ok, key, expected, source: source) }
        _ = try AdvantageEstimator.named(algorithm.advEstimator, source: source, field: "algorithm.adv_estimator")
        _ = try PolicyLoss.named(actor.policyLoss, source: source, field: "actor.policy_loss")
        try actor.lossSettings.validate(source: source, fieldPrefix: "actor.")
        try check(algorithm.gamma > 0 && algorithm.gamma <= 1, "algorithm.gamma", "0 < γ ≤ 1")
        try check(algorithm.entropyAdvantageCoef >= 0, "algorithm.entropy_advantage_coef", "a ≥ 0")
        try check(algorithm.klCoef >= 0, "algorithm.kl_ctrl.kl_coef", "≥ 0")
        try check(algorithm.filterGroupsMaxGenBatches >= 1, "algorithm.filter_groups.max_num_gen_batches", "≥ 1")
        try check(algorithm.overlongBufferLength >= 1, "algorithm.overlong_buffer.len", "≥ 1")
        // A buffer as long as the response would penalise every token of every response, not just overlong ones.
        try check(!algorithm.overlongBuffer || algorithm.overlongBufferLength < rollout.responseLength, "algorithm.overlong_buffer.len",
                  "shorter than rollout.response_length (\(rollout.responseLength)) when the overlong penalty is on")
        try check(algorithm.overlongPenaltyFactor >= 0, "algorithm.overlong_buffer.penalty_factor", "≥ 0")
        let correction = algorithm.rolloutCorrection
        try check(correction.weightThreshold >= 1, "algorithm.rollout_correction.rollout_is_threshold", "C ≥ 1")
        try check(correction.rejectionThreshold > 1, "algorithm.rollout_correction.rollout_rs_threshold",
                  "C > 1 (tokens whose ratio leaves [1/C, C] are masked)")
        try check(actor.ppoEpochs >= 1, "actor.ppo_epochs", "≥ 1")
        try check(actor.ppoMiniBatchSize >= 1, "actor.ppo_mini_batch_size", "≥ 1")
        try check(actor.lr > 0, "actor.optim.lr", "> 0")
        try check(actor.weightDecay >= 0, "actor.optim.weight_decay", "≥ 0")
        try check(actor.gradClip > 0, "actor.grad_clip", "> 0")
        try check(actor.klLossCoef >= 0, "actor.kl_loss_coef", "≥ 0")
        try check(rollout.n >= 1, "rollout.n", "k ≥ 1")
        try check(rollout.initialRollouts >= 1 && rollout.initialRollouts <= rollout.n, "rollout.initial_rollouts", "1 ≤ m ≤ rollout.n")
        try check(rollout.temperature >= 0, "rollout.temperature", "≥ 0 (0: greedy)")
        try check(rollout.responseLength >= 1, "rollout.response_length", "≥ 1")
        try check(rollout.maxToolCalls >= 0, "rollout.max_tool_calls", "≥ 0")
        try check(rollout.entropyWindow >= 1, "rollout.entropy_window", "K ≥ 1")
        try check(rollout.branch.penalty >= 0, "rollout.branch.penalty", "λ ≥ 0")
        try check(rollout.budgetBeta >= 0, "rollout.budget.beta", "β ≥ 0")
        try check(data.trainBatchSize >= actor.ppoMiniBatchSize, "data.train_batch_size", "≥ actor.ppo_mini_batch_size")
    }

    /// Whether the training forward evaluates the distribution the rollout samples from, `softmax(z/T)`: with
    /// `actor.temperature_consistent` and T > 0 (greedy rollouts draw from a point mass; the forward is then untempered).
    public var trainsSampledDistribution: Bool {
        actor.temperatureConsistent && rollout.temperature > 0
    }

    /// The temperature of the training forward (docs/algorithm.md §1.3): `rollout.temperature` when it trains the sampled
    /// distribution, else 1.
    public var trainingTemperature: Float {
        trainsSampledDistribution ? Float(rollout.temperature) : 1
    }

    /// The advantage options of `algorithm.*`.
    public var advantageOptions: AdvantageOptions {
        AdvantageOptions(gamma: algorithm.gamma, singletonGroup: algorithm.singletonGroup)
    }

    /// The advantage estimator of `algorithm.adv_estimator`.
    public func advantageEstimator() throws -> AdvantageEstimator {
        try AdvantageEstimator.named(algorithm.advEstimator, source: "config", field: "algorithm.adv_estimator")
    }

    /// The actor objective this configuration trains with.
    public func actorObjective() throws -> ActorObjective {
        ActorObjective(policyLoss: try PolicyLoss.named(actor.policyLoss, source: "config", field: "actor.policy_loss"),
                       settings: actor.lossSettings, aggregation: actor.lossAggMode,
                       entropyAdvantageCoefficient: algorithm.entropyAdvantageCoef > 0 ? algorithm.entropyAdvantageCoef : nil,
                       klLoss: actor.useKLLoss ? (actor.klLossType, actor.klLossCoef) : nil,
                       entropyCoefficient: actor.entropyCoeff)
    }
}
