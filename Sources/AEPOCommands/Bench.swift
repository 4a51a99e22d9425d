import AEPOKernels
import AEPOModel
import ArgumentParser
import Foundation

/// `aepo bench`: speed figures of the engine, printed as one JSON object (build with `-c release`); with `--model`,
/// those of a Hugging Face model, workload by workload (`ModelBench`).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure GEMM, training and decoding speed; print one JSON object.",
        discussion: """
            Figures are medians over repetitions; run a release build (`swift build -c release`).

            With --model DIR (\(DirectoryHelp.model)), every \
            workload runs in a fresh child process on random token ids (fixed seeds) and reports:
            - prefill_tokens_per_s: --batch prompts of --length tokens prefilled together into an empty KV cache, the \
            logits of each last token computed; batch × length tokens per call.
            - decode_tokens_per_s_batchN (N from --decode-batch): N random prompts of --prompt-length tokens prefilled \
            together, then --new-tokens tokens sampled per sequence at temperature 1, one batched step per token \
            through the KV cache; N × new-tokens tokens per call, the prefill included in the time (as in a \
            `generate` call).
            - train_tokens_per_s (full fine-tuning) and, with --lora RANK, train_lora_tokens_per_s: one RL update of \
            --batch sequences of --length tokens: a forward pass for the old log-probs, the forward pass, PPO's \
            clipped loss (token mean, ε 0.2) on a random advantage per sequence at every next-token position, the \
            backward pass and AdamW over the trained parameters (the adapter's: rank RANK, alpha --lora-alpha, the \
            modules of --lora-targets, on a frozen base); batch × length tokens per update. \
            train_on_policy_tokens_per_s and train_lora_on_policy_tokens_per_s: the same update without the old \
            log-probs' pass, as an on-policy RL step runs it (one mini-batch, one epoch: the old log-probs are the \
            update's own).
            - *_peak_rss_mb: the workload's peak resident memory, the loaded model included. The child lowers its \
            peak to its resident memory once the model is loaded (/proc/self/clear_refs), so each figure is its \
            workload's alone; load_peak_rss_mb is the load's own peak (the weights as read beside the model's copy), \
            peak_rss_mb the largest of them all.
            --kv-cache-dtype sets how every KV cache (prefill, decoding, and without --model the decode and serve \
            measurements) stores keys and values, reported as kv_cache_dtype; the memory estimate counts its size. \
            --max-num-batched-tokens sets how many tokens every engine's forward pass runs at most (a prefill over more \
            runs in several passes), reported as max_num_batched_tokens; the memory estimate counts one pass's workspace.
            Each figure is the median of --repeat timed calls after --warmup untimed ones. A workload whose memory \
            need (parts listed) exceeds this machine's memory is refused before anything runs, with what to lower.
            """
    )

    @Option(name: .customLong("repeat"), help: "Timed repetitions per figure (the median is reported; default 7, with --model 3).")
    var repetitions: Int?

    @Option(name: .customLong("only"), help: """
        Run only this measurement (repeatable): \(BenchMeasurement.all.map(\.name).joined(separator: ", ")); with --model: \
        \(ModelWorkload.selectableNames.joined(separator: ", ")).
        """)
    var only: [String] = []

    @Option(name: .customLong("model"), help: "A Hugging Face Qwen3 directory to measure instead of the reference configuration.")
    var model: String?

    @Option(name: .customLong("lora"), help: "With --model: also measure a LoRA update of this rank.")
    var loraRank: Int?

    @Option(name: .customLong("lora-alpha"), help: "With --lora: the adapter's alpha (default 2 × rank).")
    var loraAlpha: Double?

    @Option(name: .customLong("lora-targets"), help: "With --lora: the adapted modules, comma-separated (default all seven).")
    var loraTargets = LoRATarget.allNames

    @Option(name: .customLong("batch"), help: "With --model: sequences of the training and prefill batch.")
    var batch = 8

    @Option(name: .customLong("length"), help: "With --model: tokens per sequence of the training and prefill batch.")
    var length = 512

    @Option(name: .customLong("decode-batch"), help: "With --model: sequences decoded together (repeatable; default 1, 8 and 32).")
    var decodeBatches: [Int] = []

    @Option(name: .customLong("prompt-length"), help: "With --model: prompt tokens of each decoded sequence.")
    var promptLength = 32

    @Option(name: .customLong("new-tokens"), help: "With --model: tokens sampled per decoded sequence.")
    var newTokens = 128

    @Option(name: .customLong("warmup"), help: "With --model: untimed calls of each workload before the timed ones.")
    var warmup = 1

    @Flag(name: .customLong("activation-checkpointing"),
          help: "With --model: recompute each layer's activations in the backward pass (trainer.activation_checkpointing).")
    var recomputesActivations = false

    @OptionGroup var engineOptions: EngineOptions

    @Option(name: .customLong("workload"), help: .hidden)
    var workload: String?

    func validate() throws {
        guard (repetitions ?? 1) >= 1 else { throw ValidationError("--repeat must be at least 1, got \(repetitions!)") }
        guard model != nil else {
            let known = Set(BenchMeasurement.all.map(\.name))
            for name in only where !known.contains(name) {
                throw ValidationError("unknown measurement '\(name)'; expected one of: \(BenchMeasurement.all.map(\.name).joined(separator: ", "))")
            }
            guard loraRank == nil, workload == nil else { throw ValidationError("--lora and --workload need --model DIR") }
            return
        }
        for name in only where !ModelWorkload.selectableNames.contains(name) {
            throw ValidationError("unknown workload '\(name)'; expected one of: \(ModelWorkload.selectableNames.joined(separator: ", "))")
        }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
        guard promptLength >= 1, newTokens >= 1 else { throw ValidationError("--prompt-length and --new-tokens must be at least 1") }
        guard decodeBatches.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--decode-batch must be at least 1") }
        guard warmup >= 0 else { throw ValidationError("--warmup must be at least 0, got \(warmup)") }
        guard loraRank != nil || (loraAlpha == nil && loraTargets == LoRATarget.allNames) else {
            throw ValidationError("--lora-alpha and --lora-targets need --lora RANK")
        }
    }

    /// The model benchmark the options describe (with `--model`).
    func modelBench(directory: String) throws -> ModelBench {
        let adapter = try loraRank.map { rank in
            LoRAConfig(rank: rank, alpha: loraAlpha ?? Double(2 * rank),
                       targets: try LoRAConfig.targets(parsing: loraTargets, source: "aepo bench", field: "--lora-targets"))
        }
        return try ModelBench(directory: URL(fileURLWithPath: directory), adapter: adapter, batch: batch, length: length,
                              decodeBatches: decodeBatches.isEmpty ? [1, 8, 32] : decodeBatches, promptLength: promptLength,
                              newTokens: newTokens, warmup: warmup, repetitions: repetitions ?? 3,
                              recomputesActivations: recomputesActivations, kvCacheDataType: try engineOptions.kvCacheDataType,
                              maxTokensPerPass: engineOptions.maxNumBatchedTokens, only: only)
    }

    /// The JSON object `run` prints with `--model`: in the parent, every workload's figures; in a child (`--workload`),
    /// its workload's.
    func modelReport(directory: String, run: ModelBench.Runner = ModelBench.runChild) throws -> [String: Any] {
        let bench = try modelBench(directory: directory)
        guard let workload else {
            try bench.checkMemory()
            var report = try bench.report(run: run)
            report["threads"] = Parallel.threadCount
            report["gemm_backend"] = OpenBLAS.selected.map { "openblas (\($0.libraryName))" } ?? "swift"
            report["gemm_kernel"] = GemmKernel.current.rawValue
            report["kv_cache_dtype"] = bench.kvCacheDataType.name
            report["max_num_batched_tokens"] = bench.maxTokensPerPass
            var warnings = report["warnings"] as? [String] ?? []
            if let busy = SystemLoad.warning(reportsCPUTime: false) { warnings.append(busy) }
            #if DEBUG
            warnings.append("debug build: figures are ~50× below a release build (`swift build -c release`)")
            #endif
            report["warnings"] = warnings
            return report
        }
        guard let chosen = bench.workloads.first(where: { $0.name == workload }) else {
            throw ValidationError("unknown workload '\(workload)'; expected one of: \(bench.workloads.map(\.name).joined(separator: ", "))")
        }
        return try bench.measure(chosen)
    }

    func run() throws {
        if let model {
            let data = try JSONSerialization.data(withJSONObject: try modelReport(directory: model), options: [.sortedKeys])
            return print(String(decoding: data, as: UTF8.self))
        }
        let context = BenchContext(repetitions: repetitions ?? 7, kvCacheDataType: try engineOptions.kvCacheDataType,
                                   maxTokensPerPass: engineOptions.maxNumBatchedTokens)
        var report: [String: Any] = [:]
        var warnings: [String] = []
        #if DEBUG
        warnings.append("debug build: figures are ~50× below a release build (`swift build -c release`)")
        #endif
        if let blas = OpenBLAS.selected {
            warnings.append("GEMM runs in \(blas.libraryName) with its own \(Parallel.threadCount) threads: the *_1thread figures are not single-threaded")
        } else if OpenBLAS.requested {
            warnings.append("AEPO_BLAS=openblas is set but no OpenBLAS library loaded (tried \(OpenBLAS.libraryNames.joined(separator: ", "))); using the Swift kernels")
        }
        for measurement in BenchMeasurement.all where only.isEmpty || only.contains(measurement.name) {
            let result = try measurement.run(context)
            report.merge(result.figures) { _, new in new }
            warnings += result.warnings
        }
        if let busy = SystemLoad.warning(reportsCPUTime: true) { warnings.append(busy) }
        report["threads"] = Parallel.threadCount
        report["gemm_backend"] = OpenBLAS.selected.map { "openblas (\($0.libraryName))" } ?? "swift"
        report["gemm_kernel"] = GemmKernel.current.rawValue
        report["kv_cache_dtype"] = context.kvCacheDataType.name
        report["max_num_batched_tokens"] = context.maxTokensPerPass
        report["peak_rss_mb"] = PeakMemory.residentMegabytes()
        report["warnings"] = warnings
        let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
