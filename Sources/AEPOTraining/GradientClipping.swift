/// Global L2-norm gradient clipping, as `torch.nn.utils.clip_grad_norm_`:
/// with `‖g‖ = sqrt(Σ g_i²)` over all parameters, `g ← g · min(1, maxNorm / (‖g‖ + 1e-6))`.
public enum GradientClipping {
    /// Clips `gradients` in place and returns the norm before clipping.
    @discardableResult
    public static func clipGlobalNorm(_ gradients: UnsafeMutableBufferPointer<Float>, maxNorm: Float) -> Float {
        var sum = 0.0
        for g in gradients { sum += Double(g) * Double(g) }
        let norm = Float(sum.squareRoot())
        let coefficient = maxNorm / (norm + 1e-6)
        if coefficient < 1 {
            for i in gradients.indices { gradients[i] *= coefficient }
        }
        return norm
    }
}
