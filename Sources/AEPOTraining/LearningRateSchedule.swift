import Foundation

/// Learning rate as a function of the optimizer step (0 for the first update), as transformers'
/// `get_constant_schedule`, `get_constant_schedule_with_warmup` and `get_cosine_schedule_with_warmup`.
public enum LearningRateSchedule: Codable, Equatable, Sendable {
    /// `peak` throughout.
    case constant(peak: Float)
    /// `peak · step / warmupSteps` for `step < warmupSteps`, then `peak`.
    case linearWarmup(peak: Float, warmupSteps: Int)
    /// Linear warm-up, then `minimum + (peak − minimum) · ½(1 + cos(π · progress))` with
    /// `progress = (step − warmupSteps) / (totalSteps − warmupSteps)`, held at `minimum` after `totalSteps`.
    case cosine(peak: Float, warmupSteps: Int, totalSteps: Int, minimum: Float = 0)

    public func learningRate(at step: Int) -> Float {
        switch self {
        case .constant(let peak):
            return peak
        case .linearWarmup(let peak, let warmupSteps):
            return step < warmupSteps ? peak * Float(step) / Float(max(1, warmupSteps)) : peak
        case .cosine(let peak, let warmupSteps, let totalSteps, let minimum):
            if step < warmupSteps { return peak * Float(step) / Float(max(1, warmupSteps)) }
            let progress = min(1, Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps)))
            return minimum + (peak - minimum) * Float(0.5 * (1 + cos(Double.pi * progress)))
        }
    }
}
