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

    /// The moments' tensor names: `<tensor>.exp_avg` and `<tensor>.exp_avg_sq` per trained tensor.
    private static let momentNames = ["exp_avg", "exp_avg_sq"]

    /// Writes the optimizer state into `directory` (a directory being built, renamed into place afterwards) as the tensor
    /// set `stem` (`TensorFileSet`: one file, or shards of at most `maxShardBytes` with an index): each trained tensor's
    /// moments as F32 tensors `<name>.exp_avg` and `<name>.exp_avg_sq` (`entries`: the trained tensors, laid end to end
    /// over the parameters), step and hyper-parameters as every file's metadata.
    public func save(into directory: URL, stem: String, entries: [ParameterLayout.Entry],
                     maxShardBytes: Int = ShardSize.standard.bytes) throws {
        precondition(Self.tile(entries, parameterCount), "the entries do not lay the \(parameterCount) parameters end to end")
        let tensors = entries.flatMap { entry in
            Self.momentNames.enumerated().map { moment, suffix in
                let start = moment * parameterCount + entry.offset
                return Safetensors.Tensor(name: "\(entry.name).\(suffix)", shape: entry.shape,
                                          memory: UnsafeBufferPointer(rebasing: moments[start..<start + entry.count]))
            }
        }
        try TensorFileSet.write(tensors, metadata: [
            "step": String(step), "beta1": String(beta1), "beta2": String(beta2),
            "epsilon": String(epsilon), "weight_decay": String(weightDecay),
        ], stem: stem, into: directory, maxShardBytes: maxShardBytes)
    }

    /// Reads the state `save(into:stem:entries:)` wrote for the trained tensors `entries`, or an earlier state: one
    /// `<stem>.safetensors` whose `exp_avg` and `exp_avg_sq` each hold every parameter's moments.
    public convenience init(contentsOf directory: URL, stem: String, entries: [ParameterLayout.Entry]) throws {
        let parameterCount = entries.reduce(0) { $0 + $1.count }
        precondition(Self.tile(entries, parameterCount), "the entries do not lay the parameters end to end")
        let set = try TensorFileSet(stem: stem, in: directory)
        let metadata = set.files[0].metadata
        if let other = set.files.first(where: { $0.metadata != metadata }) {
            throw InputError("optimizer metadata differs from that of \(set.files[0].url.lastPathComponent)", source: other.url.path)
        }
        func number(_ key: String) throws -> Float {
            guard let text = metadata[key], let value = Float(text) else {
                throw InputError("missing or invalid optimizer metadata '\(key)'", source: set.files[0].url.path)
            }
            return value
        }
        guard let stepText = metadata["step"], let step = Int(stepText), step >= 0 else {
            throw InputError("missing or invalid optimizer metadata 'step'", source: set.files[0].url.path)
        }
        // Each moment tensor expected, with its shape and its place in the moments.
        let expected: [(name: String, shape: [Int], start: Int)] = set["exp_avg"] != nil
            ? Self.momentNames.enumerated().map { ($1, [parameterCount], $0 * parameterCount) }
            : entries.flatMap { entry in
                Self.momentNames.enumerated().map { ("\(entry.name).\($1)", entry.shape, $0 * parameterCount + entry.offset) }
            }
        var unused = Set(set.names)
        for tensor in expected {
            guard let file = set[tensor.name] else {
                throw InputError("missing tensor '\(tensor.name)' (shape \(tensor.shape))", source: set.source.path)
            }
            let shape = file.tensors[tensor.name]!.shape
            guard shape == tensor.shape else {
                throw InputError("tensor '\(tensor.name)' has shape \(shape), but the trained parameters imply \(tensor.shape)", source: file.url.path)
            }
            unused.remove(tensor.name)
        }
        if let name = unused.min() {
            throw InputError("unexpected tensor '\(name)', not a moment of the trained parameters", source: set[name]!.url.path)
        }
        try self.init(parameterCount: parameterCount, beta1: try number("beta1"), beta2: try number("beta2"),
                      epsilon: try number("epsilon"), weightDecay: try number("weight_decay"))
        self.step = step
        for tensor in expected {
            let count = tensor.shape.reduce(1, *)
            try set[tensor.name]!.read(tensor.name, into: UnsafeMutableBufferPointer(rebasing: moments[tensor.start..<tensor.start + count]))
        }
    }

    /// Whether `entries` lay `parameterCount` parameters end to end, in order.
    private static func tile(_ entries: [ParameterLayout.Entry], _ parameterCount: Int) -> Bool {
        var offset = 0
        for entry in entries {
            guard entry.offset == offset else { return false }
            offset += entry.count
        }
        return offset == parameterCount
    }
}
