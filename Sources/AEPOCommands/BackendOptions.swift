import AEPOAgent
import AEPOBenchmark
import AEPOCore
import AEPOEvaluation
import AEPOModel
import AEPORemote
import AEPOTokenizer
import ArgumentParser
import Foundation

/// The policy the agent samples from: the native engine over `--model DIR` (and its tokenizer), or with `--backend openai` any
/// OpenAI-compatible server (`--endpoint URL`, `--model` then names the served model).
struct BackendOptions: ParsableArguments {
    @Option(help: "The model: \(DirectoryHelp.model); with --backend openai the served model's name.")
    var model: String

    @Option(help: "For --model, attached to a BF16 checkpoint (applied unmerged) or merged into any other at load: \(DirectoryHelp.adapter).")
    var adapter: String?

    @Option(help: "tokenizer.json (default: the model directory's, else the data directory's).")
    var tokenizer: String?

    @Option(help: "Sampling backend: native (the engine over --model DIR) or openai (an OpenAI-compatible server).")
    var backend = "native"

    @Option(help: "With --backend openai: a server's base URL, e.g. http://127.0.0.1:8000; repeat it for a fleet of servers of the same model (each request to the least busy).")
    var endpoint: [String] = []

    @Option(help: "With --backend openai: the environment variable holding the API key (sent as a Bearer token).")
    var apiKeyEnv: String?

    @Option(help: "With --backend openai: top log-probs asked per token; entropies are computed over them (renormalised).")
    var topLogprobs = 20

    @Option(help: "With --backend openai: the model's context length in tokens.")
    var contextLength = 32768

    @Option(help: "With --backend openai: seconds before a request times out.")
    var timeout: Double = 120

    @Option(help: "With --backend openai: retries of a failed request (transport errors, 429, 5xx), with exponential back-off.")
    var retries = 3

    @Option(help: "With --backend openai: requests in flight at once per server (at most 64).")
    var concurrency = 16

    @OptionGroup var engineOptions: EngineOptions

    func validate() throws {
        guard ["native", "openai"].contains(backend) else { throw ValidationError("--backend must be native or openai, got '\(backend)'") }
        if backend == "openai" {
            guard !endpoint.isEmpty else { throw ValidationError("--backend openai needs --endpoint URL") }
            guard topLogprobs >= 1, contextLength >= 2, timeout > 0, retries >= 0, concurrency >= 1 else {
                throw ValidationError("--top-logprobs, --context-length, --timeout and --concurrency must be positive, --retries ≥ 0")
            }
        } else if !endpoint.isEmpty || apiKeyEnv != nil {
            throw ValidationError("--endpoint and --api-key-env need --backend openai")
        }
        if isRemote && adapter != nil {
            throw ValidationError("--adapter needs the native backend (a server applies its own adapters)")
        }
        if try isRemote && engineOptions.kvCacheDataType != .float32 {
            throw ValidationError("--kv-cache-dtype needs the native backend (a server chooses its own KV cache)")
        }
        if isRemote && engineOptions.maxNumBatchedTokens != InferenceEngine.defaultMaxTokensPerPass {
            throw ValidationError("--max-num-batched-tokens needs the native backend (a server chooses its own pass size)")
        }
    }

    var isRemote: Bool { backend == "openai" }

    /// The agent loop with the benchmark's tools over the chosen backend (`NativeAgent` for the native one).
    /// A remote model's tokenizer is `tokenizer`, else the data directory's, and its prompts are rendered by the chat
    /// template beside that file (else ChatML).
    func agent(data: BenchmarkDirectory, sampling: SamplingSettings,
               settings: AgentSettings) throws -> AgentLoop {
        guard isRemote else {
            return try NativeAgent.load(model: model, adapter: adapter, tokenizer: tokenizer, data: data, sampling: sampling,
                                        settings: settings, kvCacheDataType: try engineOptions.kvCacheDataType,
                                        maxTokensPerPass: engineOptions.maxNumBatchedTokens)
        }
        guard let tokenizerURL = tokenizer.map({ URL(fileURLWithPath: $0) }) ?? data.tokenizerURL else {
            throw InputError("--backend openai needs the served model's tokenizer.json: pass --tokenizer FILE", source: "--tokenizer")
        }
        let vocabulary = try Tokenizer(contentsOf: tokenizerURL)
        return AgentLoop(backend: try remote(model: model, tokenizer: vocabulary, sampling: sampling), tokenizer: vocabulary,
                         environment: data.environment, settings: settings, template: try ChatTemplate.beside(tokenizerURL, else: .chatML))
    }

    /// The OpenAI-compatible backend for served model `model`, normalising entropies by the tokenizer's |V|.
    private func remote(model: String, tokenizer: Tokenizer, sampling: SamplingSettings) throws -> RemoteSampler {
        let fleet = try EndpointFleet(urls: endpoint, apiKeyEnvironment: apiKeyEnv, source: "--api-key-env", timeout: timeout,
                                      retries: retries, concurrency: concurrency)
        return try RemoteSampler(fleet: fleet, settings: .init(
            model: model, sampling: sampling, topLogprobs: topLogprobs, vocabularySize: tokenizer.vocabularySize,
            contextLength: contextLength))
    }
}
