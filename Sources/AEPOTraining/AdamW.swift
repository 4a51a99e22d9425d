import AEPOCore
import AEPOKernels
import AEPOModel
import Foundation

/// Adam with decoupled weight decay, step for step as `torch.optim.AdamW`:
/// `θ ← θ(1 − η·λ)`, `m ← β₁m + (1 − β₁)g`, `v ← β₂v + (1 − β₂)g²`,
/// `θ ← θ − η/(1 − β₁ᵗ) · m / (sqrt(v)/sqrt(1 − β₂ᵗ) + ε)`.
public final class AdamW {
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    /// Number of updates taken so far (`t` after the next update is `step + 1`).
    public private(set) var step: Int
    /// The first moments, then the second, one per parameter each (from `LargeAllocation`).
    private let moments: UnsafeMutableBufferPointer<Float>
    private let parameterCount: Int

    /// First and second moment estimates, one per parameter.
    public var firstMoment: UnsafeBufferPointer<Float> { UnsafeBufferPointer(rebasing: moments[..<parameterCount]) }
    public var secondMoment: UnsafeBufferPointer<Float> { UnsafeBufferPointer(rebasing: moments[parameterCount...]) }

    /// Zero moments for `parameterCount` parameters; an `OutOfMemoryError` when they do not fit.
    public init(parameterCount: Int, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01) throws {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.parameterCount = parameterCount
        step = 0
        moments = try LargeAllocation.floats(2 * parameterCount, for: "the optimizer's moments")
    }

    deinit { LargeAllocation.release(moments.baseAddress) }

    /// One update of `parameters` from `gradients` at learning rate `learningRate`.
    public func update(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>, learningRate: Float) {
        precondition(parameters.count == parameterCount && gradients.count == parameterCount, "parameter count mismatch")
        step += 1
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        let decay = 1 - learningRate * weightDecay
        let stepSize = learningRate / (1 - pow(b1, Float(step)))
        let secondCorrection = (1 - pow(b2, Float(step))).squareRoot()
        let theta = parameters.baseAddress!, g = gradients.baseAddress!
        let m = moments.baseAddress!, v = m + parameterCount
        Parallel.forEachChunk(parameters.count, minimumChunk: 1 << 16) { range in
            for i in range {
                let gi = g[i]
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                theta[i] = theta[i] * decay - stepSize * m[i] / (v[i].squareRoot() / secondCorrection + eps)
            }
        }
    }

    // MARK: - State

    /// Writes the optimizer state (moments as F32 tensors `exp_avg`, `exp_avg_sq`; step and
    /// hyper-parameters as metadata) to a safetensors file, atomically.
    public func save(to url: URL) throws {
        let n = parameterCount
        try Safetensors.write([
            Safetensors.Tensor(name: "exp_avg", shape: [n], memory: firstMoment),
            Safetensors.Tensor(name: "exp_avg_sq", shape: [n], memory: secondMoment),
        ], metadata: [
            "step": String(step), "beta1": String(beta1), "beta2": String(beta2),
            "epsilon": String(epsilon), "weight_decay": String(weightDecay),
        ], to: url)
    }

    /// Reads a state written by `save(to:)`; its parameter count must be `parameterCount`.
    public convenience init(contentsOf url: URL, parameterCount: Int) throws {
        let file = try Safetensors(contentsOf: url)
        func number(_ key: String) throws -> Float {
            guard let text = file.metadata[key], let value = Float(text) else {
                throw InputError("missing or invalid optimizer metadata '\(key)'", source: url.path)
            }
            return value
        }
        guard let stepText = file.metadata["step"], let step = Int(stepText), step >= 0 else {
            throw InputError("missing or invalid optimizer metadata 'step'", source: url.path)
        }
        for name in ["exp_avg", "exp_avg_sq"] where file.tensors[name]?.count != parameterCount {
            throw InputError("tensor '\(name)' must hold \(parameterCount) values", source: url.path)
        }
        try self.init(parameterCount: parameterCount, beta1: try number("beta1"), beta2: try number("beta2"),
                      epsilon: try number("epsilon"), weightDecay: try number("weight_decay"))
        self.step = step
        try file.read("exp_avg", into: UnsafeMutableBufferPointer(rebasing: moments[..<parameterCount]))
        try file.read("exp_avg_sq", into: UnsafeMutableBufferPointer(rebasing: moments[parameterCount...]))
    }
}
