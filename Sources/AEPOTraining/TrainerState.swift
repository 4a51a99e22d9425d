import AEPOCore

/// Which loop a trainer runs.
public enum TrainingPhase: String, Codable, Sendable {
    /// Supervised cold start on the demonstrations.
    case sft
    /// Reinforcement learning with the configured algorithm.
    case rl
}

/// Everything besides the weights and the optimizer moments that a resumed run needs to continue bit-identically.
public struct TrainerState: Codable, Equatable, Sendable {
    public var phase: TrainingPhase
    /// Steps completed.
    public var step: Int
    /// Where the next batch of demonstrations (SFT) or questions (RL) starts.
    public var cursor: DataCursor
    /// The trainer's random stream; each step draws its seed from it.
    public var generator: SeededGenerator
    /// Steps whose update was skipped because the loss or a gradient was not finite.
    public var skippedUpdates = 0
    /// The run this state belongs to (`TrainingConfig.runIdentity`); `nil` in checkpoints written before runs had one.
    public var runIdentity: String?
}
