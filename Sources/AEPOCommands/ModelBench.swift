import AEPOCore
import AEPOKernels
import AEPOModel
import ArgumentParser
import Foundation

/// `aepo bench --model DIR`: the speed and the peak memory of a Hugging Face Qwen3 model, workload by workload
/// (`ModelWorkload`). Each workload runs in a fresh child process (`aepo bench … --workload NAME`) that loads the model,
/// lowers its peak resident memory to what it holds once the model is loaded (`PeakMemory.reset`), runs the workload
/// and prints its figures, so that every `*_peak_rss_mb` is that workload's alone, the resident model included; the
/// load's own peak (the weights as read beside the model's copy) is `load_peak_rss_mb`. Before any child starts, the
/// directory, the options and every workload's memory need (`MemoryEstimate`) are checked.
struct ModelBench {
    let directory: URL
    let config: Qwen3Config
    /// The adapter of the LoRA workload (`--lora RANK`), if any.
    let adapter: LoRAConfig?
    /// Sequences and tokens per sequence of the training and prefill batch.
    let batch: Int
    let length: Int
    let decodeBatches: [Int]
    let promptLength: Int
    let newTokens: Int
    let warmup: Int
    let repetitions: Int
    let recomputesActivations: Bool
    /// How the KV cache of the prefill and decoding workloads stores keys and values.
    let kvCacheDataType: KVCacheDataType
    /// The most tokens one forward pass of their engine runs.
    let maxTokensPerPass: Int
    /// The workloads run, in order.
    let workloads: [ModelWorkload]
    /// How the weights no workload trains are held: bfloat16 when the checkpoint is all BF16 (as `aepo serve`, `aepo eval`
    /// and a LoRA run hold them), else float32.
    let frozenStorage: ParameterStorage

    /// Runs one workload in a child process and returns the JSON object it printed.
    typealias Runner = (ModelWorkload) throws -> [String: Any]

    /// Reads `directory`'s `config.json` and checks the options against it (errors name the file and field, or the option).
    init(directory: URL, adapter: LoRAConfig?, batch: Int, length: Int, decodeBatches: [Int], promptLength: Int, newTokens: Int,
         warmup: Int, repetitions: Int, recomputesActivations: Bool, kvCacheDataType: KVCacheDataType = .float32,
         maxTokensPerPass: Int = InferenceEngine.defaultMaxTokensPerPass, only: [String]) throws {
        let configURL = directory.appendingPathComponent(Checkpoint.configFileName)
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            throw InputError("no \(Checkpoint.configFileName): expected \(DirectoryHelp.model)",
                             source: directory.path)
        }
        config = try Qwen3Config.load(from: configURL)
        try adapter?.validate(for: config, source: "aepo bench") { field in
            switch field {
            case .rank: return "--lora"
            case .alpha: return "--lora-alpha"
            case .targets: return "--lora-targets"
            case .dropout: return "dropout"
            }
        }
        let positions = config.maxPositionEmbeddings
        guard length >= 2 && length <= positions else {
            throw InputError("--length \(length) must be in 2…\(positions) (max_position_embeddings)", source: configURL.path,
                             field: "max_position_embeddings")
        }
        guard promptLength + newTokens <= positions else {
            throw InputError("--prompt-length \(promptLength) + --new-tokens \(newTokens) exceed max_position_embeddings \(positions)",
                             source: configURL.path, field: "max_position_embeddings")
        }
        frozenStorage = try Checkpoint.holdsBFloat16Only(directory) ? .bfloat16 : .float32
        self.directory = directory
        self.adapter = adapter
        self.batch = batch
        self.length = length
        self.decodeBatches = decodeBatches
        self.promptLength = promptLength
        self.newTokens = newTokens
        self.warmup = warmup
        self.repetitions = repetitions
        self.recomputesActivations = recomputesActivations
        self.kvCacheDataType = kvCacheDataType
        self.maxTokensPerPass = maxTokensPerPass
        let all = [.prefill] + decodeBatches.map { ModelWorkload.decode(batch: $0) } + [.train] + (adapter == nil ? [] : [.trainLoRA])
        workloads = all.filter { only.isEmpty || only.contains($0.selectableName) }
    }

    /// Refuses a workload whose need is above `limit`, naming it, its parts and what to lower; loading the model (the
    /// weights as read and the model's own copy) counts too.
    func checkMemory(against limit: MemoryLimit = .current) throws {
        var load = MemoryEstimate(config: config)
        load.addParameterSized("weights as read")
        try load.check(against: limit, subject: "loading this model", source: directory.path,
                       advice: "measure on a machine with more memory")
        for workload in workloads {
            let (estimate, advice) = workload.estimate(self)
            try estimate.check(against: limit, subject: "the \(workload.name) workload", source: directory.path, advice: advice)
        }
    }

    /// Every workload's figures (each from `run`), merged, with `load_peak_rss_mb` and `peak_rss_mb` the largest any
    /// child reported, the model's `parameters`, and the children's `warnings`.
    func report(run: Runner = ModelBench.runChild) throws -> [String: Any] {
        var report: [String: Any] = ["parameters": Double(ParameterLayout(config: config).totalCount)]
        var warnings: [String] = [], loadPeak = 0.0, peak = 0.0
        for workload in workloads {
            var figures = try run(workload)
            warnings += figures.removeValue(forKey: "warnings") as? [String] ?? []
            let load = figures.removeValue(forKey: "load_peak_rss_mb") as? Double ?? 0
            loadPeak = max(loadPeak, load)
            peak = max(peak, load, figures[workload.peakKey] as? Double ?? 0)
            report.merge(figures) { _, new in new }
        }
        report["load_peak_rss_mb"] = loadPeak
        report["peak_rss_mb"] = peak
        report["warnings"] = Array(Set(warnings)).sorted()
        return report
    }

    /// Inside the child process: loads the model, resets the peak, runs `workload`, and returns its figures with its
    /// peak (`peakKey`) and the load's (`load_peak_rss_mb`).
    func measure(_ workload: ModelWorkload) throws -> [String: Any] {
        let model = try loadModel(for: workload)
        let loadPeak = PeakMemory.residentMegabytes()
        var warnings: [String] = []
        if !PeakMemory.reset() {
            warnings.append("the peak resident memory could not be reset (/proc/self/clear_refs): every *_peak_rss_mb includes loading")
        }
        var figures: [String: Any] = try workload.measure(model, self)
        figures[workload.peakKey] = PeakMemory.residentMegabytes()
        figures["load_peak_rss_mb"] = loadPeak
        figures["warnings"] = warnings
        return figures
    }

    /// The model of `directory` as `workload`'s command would hold it: float32 and trainable for full fine-tuning, frozen
    /// (in bfloat16 when `frozenStorage` says so) for inference and for a LoRA adapter's base.
    private func loadModel(for workload: ModelWorkload) throws -> Qwen3Model {
        guard workload == .train else { return try Checkpoint.loadFrozenModel(directory: directory) }
        let checkpoint = try Checkpoint.load(directory: directory)
        return try Qwen3Model(config: checkpoint.config, parameters: checkpoint.parameters)
    }

    /// Runs `workload` in a child process: this executable with the same arguments and `--workload NAME`. Its
    /// standard error passes through; a child that fails ends the bench with its exit status.
    static func runChild(_ workload: ModelWorkload) throws -> [String: Any] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        process.arguments = Array(CommandLine.arguments.dropFirst()) + ["--workload", workload.name]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationReason == .uncaughtSignal {
            throw InputError("the \(workload.name) workload was killed by signal \(process.terminationStatus)"
                             + (process.terminationStatus == SIGKILL ? " (out of memory?)" : ""), source: "aepo bench")
        }
        guard process.terminationStatus == 0 else { throw ExitCode(process.terminationStatus) }
        guard let figures = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw InputError("the \(workload.name) workload printed no JSON object", source: "aepo bench")
        }
        return figures
    }
}
