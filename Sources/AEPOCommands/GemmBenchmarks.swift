import AEPOCore
import AEPOKernels

extension BenchMeasurement {
    /// `gemm_gflops` (1024³, all threads), `gemm_gflops_1thread`, and the latter per second of CPU
    /// time actually received (`…_cputime`: what a core does when the machine is shared). Warns when
    /// that rate shows the kernels were built without FMA (see `Package.swift`).
    static let gemm = BenchMeasurement(name: "gemm") { context in
        let problem = GemmProblem(transA: false, transB: false, m: 1024, n: 1024, k: 1024)
        var result = BenchResult()
        result.figures["gemm_gflops"] = problem.gflops(context)
        let (single, singleCPU) = Parallel.withThreadLimit(1) { problem.rates(context) }
        result.figures["gemm_gflops_1thread"] = single
        result.figures["gemm_gflops_1thread_cputime"] = singleCPU
        if singleCPU < minimumSingleThreadGflops {
            result.warnings.append(
                "single-thread 1024³ SGEMM ran at \(singleCPU) GFLOP per CPU-second, far below the ~100 an AVX2/FMA core reaches: "
                + "was this a debug build, or was it built without `-target-cpu` (see Package.swift)?")
        }
        return result
    }

    /// The training shapes of a linear layer on the reference configuration (4096 tokens,
    /// 256 → 768): forward `y = x·Wᵀ`, backward `dX = dY·W` and `dW = dYᵀ·X`.
    static let gemmTrainingShapes = BenchMeasurement(name: "gemm-training") { context in
        let (tokens, inputs, outputs) = (4096, 256, 768)
        var result = BenchResult()
        result.figures["gemm_forward_gflops"] = GemmProblem(transA: false, transB: true, m: tokens, n: outputs, k: inputs).gflops(context)
        result.figures["gemm_input_grad_gflops"] = GemmProblem(transA: false, transB: false, m: tokens, n: inputs, k: outputs).gflops(context)
        result.figures["gemm_weight_grad_gflops"] = GemmProblem(transA: true, transB: false, m: outputs, n: inputs, k: tokens).gflops(context)
        return result
    }

    /// Decoding shapes of the reference configuration's LM head (`[2048, 256]` weights):
    /// `gemv_gflops` for one token, `decode_gemm_gflops` for a batch of 16, each also on one thread
    /// per second of CPU time received (`…_1thread_cputime`).
    static let decodeGemm = BenchMeasurement(name: "gemv") { context in
        var result = BenchResult()
        for (name, rows) in [("gemv", 1), ("decode_gemm", 16)] {
            let problem = GemmProblem(transA: false, transB: true, m: rows, n: 2048, k: 256)
            result.figures["\(name)_gflops"] = problem.gflops(context)
            result.figures["\(name)_gflops_1thread_cputime"] = Parallel.withThreadLimit(1) { problem.rates(context).cpu }
        }
        return result
    }

    /// Below this, a single core is clearly not running fused multiply-adds (it reaches ~100).
    private static let minimumSingleThreadGflops = 20.0
}

/// Random operands for one `sgemm` shape, timed by `BenchContext`.
private struct GemmProblem {
    let transA: Bool, transB: Bool, m: Int, n: Int, k: Int

    /// Median GFLOP/s (2·m·n·k per call) with `beta = 0`, rounded to 0.1.
    func gflops(_ context: BenchContext) -> Double { rates(context).wall }

    /// Median GFLOP per second of wall time and per second of the calling thread's CPU time.
    func rates(_ context: BenchContext) -> (wall: Double, cpu: Double) {
        var rng = SeededGenerator(seed: 1)
        let a = (0..<(m * k)).map { _ in rng.nextFloat() - 0.5 }
        let b = (0..<(k * n)).map { _ in rng.nextFloat() - 0.5 }
        var c = [Float](repeating: 0, count: m * n)
        let seconds = a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    context.medianTimes {
                        sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1,
                              a: a.baseAddress!, lda: transA ? m : k, b: b.baseAddress!, ldb: transB ? k : n,
                              beta: 0, c: c.baseAddress!, ldc: n)
                    }
                }
            }
        }
        func rate(_ time: Double) -> Double { (2 * Double(m * n * k) / time / 1e9 * 10).rounded() / 10 }
        return (rate(seconds.wall), rate(seconds.cpu))
    }
}
