import AEPOCore
import AEPOModel
import AEPOServe
import AEPOTokenizer
import ArgumentParser
import Foundation

/// `aepo serve`: an OpenAI-compatible server over the native engine, with continuous batching.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a model over an OpenAI-compatible HTTP API (/v1/models, /v1/completions, /v1/chat/completions).",
        discussion: """
            Concurrent requests share the engine's decode steps (continuous batching). Chat prompts are rendered by the \
            chat template beside the tokenizer (chat_template.jinja, or tokenizer_config.json's chat_template, as \
            transformers' apply_chat_template renders it; chat_template_kwargs sets its variables), else ChatML \
            (<|im_start|>role\\n…<|im_end|>) when the tokenizer has those tokens, else a plain 'role: content' transcript. \
            Log-probs are the model's log softmax(z), before temperature, top-k and top-p. Extensions: top_k, \
            skip_special_tokens, include_stop_str_in_output, return_tokens_as_token_ids. SIGINT or SIGTERM stops \
            accepting connections and lets requests in flight finish. With --lora-dir DIR the weights can be replaced \
            while serving (POST /update_weights_from_disk {"model_path": DIR}, SGLang's request), and with --enable-lora \
            LoRA adapters loaded and unloaded (POST /v1/load_lora_adapter {"lora_name", "lora_path"}, \
            POST /v1/unload_lora_adapter {"lora_name"}, vLLM's runtime LoRA API; a request naming a loaded adapter as its \
            model is served with it); only paths under DIR are read. Requests running at a swap finish on the weights \
            they started with.
            """)

    @Option(help: "The model: \(DirectoryHelp.model).")
    var model: String?

    @Option(help: "For --model, attached to a BF16 checkpoint (applied unmerged) or merged into any other at load: \(DirectoryHelp.adapter).")
    var adapter: String?

    @Option(help: "Instead of --model: serve random weights (seed 0) of this config.json, for client checks and benchmarks.")
    var randomConfig: String?

    @Option(help: "tokenizer.json (default: the model directory's).")
    var tokenizer: String?

    @Option(help: "The model name clients must send (default: the model directory's name).")
    var name: String?

    @Option(help: "Address to bind (loopback by default; 0.0.0.0 exposes the server to the network).")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port).")
    var port = 8000

    @Option(help: "Largest request body in bytes.")
    var maxBodyBytes = ServeLimits().maxBodyBytes

    @Option(help: "Largest max_tokens.")
    var maxTokens = ServeLimits().maxTokens

    @Option(help: "Longest prompt in tokens.")
    var maxPromptTokens = ServeLimits().maxPromptTokens

    @Option(help: "Requests in flight at once (429 beyond).")
    var maxConcurrent = ServeLimits().maxConcurrentRequests

    @Option(help: "Largest logprobs / top_logprobs.")
    var maxTopLogprobs = ServeLimits().maxTopLogprobs

    @Flag(help: "Serve vLLM's runtime LoRA API (/v1/load_lora_adapter, /v1/unload_lora_adapter) for adapters under --lora-dir.")
    var enableLora = false

    @Option(help: "The only directory adapters and /update_weights_from_disk weights are read from (symbolic links and '..' resolved).")
    var loraDir: String?

    @OptionGroup var engineOptions: EngineOptions

    func validate() throws {
        guard (model == nil) != (randomConfig == nil) else { throw ValidationError("pass exactly one of --model DIR and --random-config FILE") }
        guard model != nil || tokenizer != nil else { throw ValidationError("--random-config needs --tokenizer FILE") }
        guard model != nil || adapter == nil else { throw ValidationError("--adapter needs --model DIR, its base") }
        guard !enableLora || loraDir != nil else { throw ValidationError("--enable-lora needs --lora-dir DIR, the directory adapters are read from") }
        guard !enableLora || adapter == nil else {
            throw ValidationError("--adapter serves one adapter from start-up; with --enable-lora load adapters at run time instead")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535, got \(port)") }
        guard maxBodyBytes >= 1, maxTokens >= 1, maxPromptTokens >= 1, maxConcurrent >= 1, maxTopLogprobs >= 0 else {
            throw ValidationError("the limits must be positive")
        }
    }

    /// The weights to serve (with the adapter, `Checkpoint.loadForInference`) and their directory; refused, before
    /// anything is read, when the model, its packed copy and the KV cache of one sequence as long as the limits allow
    /// need more memory than the process can have.
    func weights() throws -> (model: Qwen3Model, directory: URL) {
        let configURL = randomConfig.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: model!).appendingPathComponent(Checkpoint.configFileName)
        let config = try Qwen3Config.load(from: configURL)
        // A checkpoint read as float32 is a copy beside the model; one all BF16 is read straight into the bfloat16 model,
        // which an adapter is attached to, unmerged. (Weight files that cannot be read are reported when they are read.)
        let bfloat16 = model != nil && (try? Checkpoint.holdsBFloat16Only(configURL.deletingLastPathComponent())) == true
        var estimate = MemoryEstimate(config: config, storage: bfloat16 ? .bfloat16 : .float32)
        if randomConfig == nil && !bfloat16 { estimate.addParameterSized("the checkpoint being read") }
        estimate.addInferenceEngine(sequences: 1, positions: min(config.maxPositionEmbeddings, maxPromptTokens + maxTokens),
                                    kvCacheDataType: try engineOptions.kvCacheDataType, maxTokensPerPass: engineOptions.maxNumBatchedTokens)
        try estimate.check(subject: "serving this model", source: configURL.path,
                           advice: "serve a smaller model, or lower --max-prompt-tokens (\(maxPromptTokens)) and --max-tokens (\(maxTokens))")
        guard let model else { return (try Qwen3Model(config: config, seed: 0), configURL.deletingLastPathComponent()) }
        let directory = URL(fileURLWithPath: model)
        return (try Checkpoint.loadForInference(directory: directory, adapter: adapter.map { URL(fileURLWithPath: $0) }), directory)
    }

    func run() async throws {
        let (weights, modelURL) = try self.weights()
        let tokenizerURL = tokenizer.map { URL(fileURLWithPath: $0) } ?? modelURL.appendingPathComponent(Checkpoint.tokenizerFileName)
        let vocabulary = try Tokenizer(contentsOf: tokenizerURL)
        guard vocabulary.vocabularySize <= weights.config.vocabSize else {
            throw InputError("the tokenizer has \(vocabulary.vocabularySize) tokens; the model's vocabulary only \(weights.config.vocabSize)",
                             source: tokenizerURL.path)
        }
        let limits = ServeLimits(maxBodyBytes: maxBodyBytes, maxTokens: maxTokens, maxPromptTokens: maxPromptTokens,
                                 maxConcurrentRequests: maxConcurrent, maxTopLogprobs: maxTopLogprobs)
        let engine = try InferenceEngine(model: weights, kvCacheDataType: try engineOptions.kvCacheDataType,
                                         maxTokensPerPass: engineOptions.maxNumBatchedTokens)
        let scheduler = GenerationScheduler(engine: engine, tokenizer: vocabulary, limits: limits)
        let loading = try loraDir.map { try RuntimeLoading(directory: $0, adapters: enableLora) }
        let server = OpenAIServer(scheduler: scheduler, modelName: name ?? (randomConfig == nil ? modelURL.standardizedFileURL.lastPathComponent : "random"),
                                  template: try ChatTemplate.beside(tokenizerURL, else: .fallback(for: vocabulary)), loading: loading)
        let app = server.application(host: host, port: port) { port in
            print("aepo serve: '\(server.modelName)' on http://\(host):\(port)/v1")
        }
        try await app.runService()
        scheduler.shutdown()
    }
}
