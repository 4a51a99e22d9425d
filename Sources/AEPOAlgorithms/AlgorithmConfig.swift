import AEPOAgent
import AEPOCore
import AEPORollout

/// The complete, resolved description of an RL algorithm: rollout, advantage, loss and optimisation settings.
///
/// Keys follow verl's names (`algorithm.adv_estimator`, `actor.clip_ratio_high`, `rollout.n`, …); every key
/// can be overridden by name with `set(_:to:)` (`actor.clip_ratio_high=0.3`). `AlgorithmPreset` gives the
/// eight named starting points.
public struct AlgorithmConfig: Equatable, Sendable {
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
    }

    /// Policy-update settings (`actor.*`).
    public struct Actor: Equatable, Sendable {
        /// `actor.policy_loss`: a name in `PolicyLoss.all`.
        public var policyLoss = "ppo-clip"
        public var clipRatioLow = 0.2
        public var clipRatioHigh = 0.2
        public var clipRatioC = 3.0
        public var gppoBetaLow = 1.0
        public var gppoBetaHigh = 1.0
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
        Key("actor.policy_loss", \.actor.policyLoss),
        Key("actor.clip_ratio_low", \.actor.clipRatioLow),
        Key("actor.clip_ratio_high", \.actor.clipRatioHigh),
        Key("actor.clip_ratio_c", \.actor.clipRatioC),
        Key("actor.gppo_beta_low", \.actor.gppoBetaLow),
        Key("actor.gppo_beta_high", \.actor.gppoBetaHigh),
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

    /// The current value of `key` as text, or `nil` for an unknown key.
    public func value(of key: String) -> String? {
        Self.keys.first { $0.name == key }?.read(self)
    }

    /// Every key with its value, in `keys` order (the resolved configuration a run writes).
    public var resolved: [(key: String, value: String)] {
        Self.keys.map { ($0.name, $0.read(self)) }
    }

    /// Sets `key` from its text form; an unknown key or a value of the wrong type is an `InputError` naming
    /// the key and what it expects. The result is validated; on any error the configuration is unchanged.
    public mutating func set(_ key: String, to text: String, source: String = "override") throws {
        var copy = self
        try copy.write(key, text, source: source)
        try copy.validate(source: source)
        self = copy
    }

    /// Applies `key=value` overrides in order, then validates the result once (so `rollout.n=4
    /// rollout.initial_rollouts=2` works from any starting point); on any error the configuration is unchanged.
    public mutating func apply(overrides: [String], source: String = "override") throws {
        var copy = self
        for item in overrides {
            guard let equals = item.firstIndex(of: "=") else {
                throw InputError("expected key=value, got '\(item)'", source: source)
            }
            try copy.write(String(item[..<equals]).trimmingCharacters(in: .whitespaces),
                           String(item[item.index(after: equals)...]), source: source)
        }
        try copy.validate(source: source)
        self = copy
    }

    private mutating func write(_ key: String, _ text: String, source: String) throws {
        guard let entry = Self.keys.first(where: { $0.name == key }) else {
            let section = key.split(separator: ".").first.map(String.init) ?? key
            let near = Self.keys.map(\.name).filter { $0.hasPrefix(section + ".") }
            throw InputError("unknown key" + (near.isEmpty ? "" : "; keys of '\(section)': " + near.joined(separator: ", ")),
                             source: source, field: key)
        }
        guard entry.write(&self, text) else {
            throw InputError("expected \(entry.expected), got '\(text)'", source: source, field: key)
        }
    }

    /// Checks names and ranges; errors name the offending key.
    public func validate(source: String = "config") throws {
        func check(_ ok: Bool, _ key: String, _ expected: String) throws {
            if !ok { throw InputError("\(value(of: key) ?? "?") is out of range; expected \(expected)", source: source, field: key) }
        }
        _ = try AdvantageEstimator.named(algorithm.advEstimator, source: source, field: "algorithm.adv_estimator")
        _ = try PolicyLoss.named(actor.policyLoss, source: source, field: "actor.policy_loss")
        try policyLossSettings.validate(source: source, fieldPrefix: "actor.")
        try check(algorithm.gamma > 0 && algorithm.gamma <= 1, "algorithm.gamma", "0 < γ ≤ 1")
        try check(algorithm.entropyAdvantageCoef >= 0, "algorithm.entropy_advantage_coef", "a ≥ 0")
        try check(algorithm.klCoef >= 0, "algorithm.kl_ctrl.kl_coef", "≥ 0")
        try check(algorithm.filterGroupsMaxGenBatches >= 1, "algorithm.filter_groups.max_num_gen_batches", "≥ 1")
        try check(algorithm.overlongBufferLength >= 1, "algorithm.overlong_buffer.len", "≥ 1")
        // A buffer as long as the response would penalise every token of every response, not just overlong ones.
        try check(!algorithm.overlongBuffer || algorithm.overlongBufferLength < rollout.responseLength, "algorithm.overlong_buffer.len",
                  "shorter than rollout.response_length (\(rollout.responseLength)) when the overlong penalty is on")
        try check(algorithm.overlongPenaltyFactor >= 0, "algorithm.overlong_buffer.penalty_factor", "≥ 0")
        try check(actor.ppoEpochs >= 1, "actor.ppo_epochs", "≥ 1")
        try check(actor.ppoMiniBatchSize >= 1, "actor.ppo_mini_batch_size", "≥ 1")
        try check(actor.lr > 0, "actor.optim.lr", "> 0")
        try check(actor.weightDecay >= 0, "actor.optim.weight_decay", "≥ 0")
        try check(actor.gradClip > 0, "actor.grad_clip", "> 0")
        try check(actor.klLossCoef >= 0, "actor.kl_loss_coef", "≥ 0")
        try check(rollout.n >= 1, "rollout.n", "k ≥ 1")
        try check(rollout.initialRollouts >= 1 && rollout.initialRollouts <= rollout.n, "rollout.initial_rollouts", "1 ≤ m ≤ rollout.n")
        try check(rollout.temperature > 0, "rollout.temperature", "> 0")
        try check(rollout.responseLength >= 1, "rollout.response_length", "≥ 1")
        try check(rollout.maxToolCalls >= 0, "rollout.max_tool_calls", "≥ 0")
        try check(rollout.entropyWindow >= 1, "rollout.entropy_window", "K ≥ 1")
        try check(rollout.branch.penalty >= 0, "rollout.branch.penalty", "λ ≥ 0")
        try check(rollout.budgetBeta >= 0, "rollout.budget.beta", "β ≥ 0")
        try check(data.trainBatchSize >= actor.ppoMiniBatchSize, "data.train_batch_size", "≥ actor.ppo_mini_batch_size")
    }

    /// The loss settings of `actor.*`.
    public var policyLossSettings: PolicyLossSettings {
        PolicyLossSettings(clipRatioLow: actor.clipRatioLow, clipRatioHigh: actor.clipRatioHigh, clipRatioC: actor.clipRatioC,
                           gppoBetaLow: actor.gppoBetaLow, gppoBetaHigh: actor.gppoBetaHigh)
    }

    /// The temperature of the training forward: `rollout.temperature` when `actor.temperature_consistent`, else 1.
    public var trainingTemperature: Float {
        actor.temperatureConsistent ? Float(rollout.temperature) : 1
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
                       settings: policyLossSettings, aggregation: actor.lossAggMode,
                       entropyAdvantageCoefficient: algorithm.entropyAdvantageCoef > 0 ? algorithm.entropyAdvantageCoef : nil,
                       klLoss: actor.useKLLoss ? (actor.klLossType, actor.klLossCoef) : nil,
                       entropyCoefficient: actor.entropyCoeff)
    }
}
