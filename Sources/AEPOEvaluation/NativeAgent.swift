import AEPOAgent
import AEPOBenchmark
import AEPOCore
import AEPOModel
import AEPOTokenizer
import Foundation

/// The agent loop over a Qwen3 checkpoint on the native engine, with the benchmark's tools: what
/// `aepo rollout`, `aepo eval` and every experiment's evaluation sample with.
public enum NativeAgent {
    /// Loads the checkpoint in `model` (`Checkpoint.loadForInference`: with the PEFT adapter in `adapter` merged, when
    /// given) and the tokenizer
    /// (`tokenizer`, else the model directory's, else the data directory's) with the chat template beside it (else
    /// ChatML), checks they fit together and builds the loop over an engine whose KV cache stores `kvCacheDataType` and
    /// whose passes run at most `maxTokensPerPass` tokens.
    public static func load(model: String, adapter: String? = nil, tokenizer: String?, data: BenchmarkDirectory,
                            sampling: SamplingSettings, settings: AgentSettings, kvCacheDataType: KVCacheDataType = .float32,
                            maxTokensPerPass: Int = InferenceEngine.defaultMaxTokensPerPass) throws -> AgentLoop {
        let modelURL = URL(fileURLWithPath: model)
        let network = try Checkpoint.loadForInference(directory: modelURL, adapter: adapter.map { URL(fileURLWithPath: $0) })
        let tokenizerURL = tokenizer.map { URL(fileURLWithPath: $0) } ?? [modelURL.appendingPathComponent(Checkpoint.tokenizerFileName)]
            .first { FileManager.default.fileExists(atPath: $0.path) } ?? data.tokenizerURL
        guard let tokenizerURL else {
            throw InputError("no tokenizer.json in the model or data directory; pass --tokenizer FILE", source: "--tokenizer")
        }
        let vocabulary = try Tokenizer(contentsOf: tokenizerURL)
        guard vocabulary.vocabularySize <= network.config.vocabSize else {
            throw InputError("the tokenizer has \(vocabulary.vocabularySize) tokens; the model's vocabulary only \(network.config.vocabSize)",
                             source: tokenizerURL.path)
        }
        let engine = try InferenceEngine(model: network, kvCacheDataType: kvCacheDataType, maxTokensPerPass: maxTokensPerPass)
        return AgentLoop(backend: NativeSampler(engine: engine, sampling: sampling), tokenizer: vocabulary,
                         environment: data.environment, settings: settings, template: try ChatTemplate.beside(tokenizerURL, else: .chatML),
                         endTokens: StopCriteria.endTokens(of: vocabulary, extra: network.config.eosTokenID))
    }
}
