import AEPOCore
import AEPOModel
import AEPORemote
import AEPOServe
import AEPOTokenizer
import Foundation

extension BenchMeasurement {
    /// `aepo serve` under load: 32 chat requests sent at once (continuous batching) against the same 32 one
    /// after another, over loopback HTTP, on a random Qwen3 of the reference shape with a small ChatML tokenizer.
    static let serve = BenchMeasurement(name: "serve") { context in
        try ServeBenchmark.run(requests: 32, maxTokens: 64, kvCacheDataType: context.kvCacheDataType,
                               maxTokensPerPass: context.maxTokensPerPass)
    }
}

enum ServeBenchmark {
    static func run(requests: Int, maxTokens: Int, kvCacheDataType: KVCacheDataType = .float32,
                    maxTokensPerPass: Int = InferenceEngine.defaultMaxTokensPerPass) throws -> BenchResult {
        let texts = ["Alba Works is a mill in Orsk. It was founded by Bruno Vale.", "Bruno Vale is an engineer. He was born in 1950.",
                     "Orsk is a town on the river Vel.", "The Vel is a river. It is 120 km long."]
        let tokenizer = try BPETrainer(vocabularySize: 400, specialTokens: ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]).train(on: texts)
        let config = Qwen3Config(vocabSize: tokenizer.vocabularySize, hiddenSize: 256, intermediateSize: 768, numHiddenLayers: 4,
                                 numAttentionHeads: 8, numKeyValueHeads: 4, headDim: 32, maxPositionEmbeddings: 1024,
                                 tieWordEmbeddings: true)
        let engine = try InferenceEngine(model: try Qwen3Model(config: config, seed: 1), kvCacheDataType: kvCacheDataType,
                                         maxTokensPerPass: maxTokensPerPass)
        let scheduler = GenerationScheduler(engine: engine, tokenizer: tokenizer, limits: ServeLimits(maxConcurrentRequests: requests))
        let server = OpenAIServer(scheduler: scheduler, modelName: "bench")
        let started = DispatchSemaphore(value: 0)
        let port = LockedPort()
        let app = server.application(host: "127.0.0.1", port: 0) { p in
            port.value = p
            started.signal()
        }
        let task = Task { try await app.run() }
        started.wait()
        defer {
            task.cancel()
            scheduler.shutdown()
        }

        let endpoint = try OpenAIEndpoint(settings: .init(url: "http://127.0.0.1:\(port.value)", timeout: 1800, retries: 0,
                                                          concurrency: requests))
        let bodies = (0..<requests).map { i -> JSONValue in
            .object(["model": .string("bench"), "max_tokens": .integer(maxTokens), "temperature": .number(0), "stop": .null,
                     "messages": .array([.object(["role": .string("user"), "content": .string("\(texts[i % texts.count]) (\(i))")])])])
        }
        func tokens(_ replies: [JSONValue]) -> Int {
            replies.reduce(0) { $0 + ($1.objectValue?["usage"]?.objectValue?["completion_tokens"]?.intValue ?? 0) }
        }
        _ = try endpoint.post("chat/completions", body: bodies[0])  // warm-up
        var start = Date()
        let sequential = try bodies.map { try endpoint.post("chat/completions", body: $0) }
        let sequentialSeconds = Date().timeIntervalSince(start)
        let before = scheduler.statistics
        start = Date()
        let concurrent = try EndpointFleet(endpoints: [endpoint]).post("chat/completions", bodies: bodies).map(\.reply)
        let concurrentSeconds = Date().timeIntervalSince(start)
        let after = scheduler.statistics
        let answered = concurrent.allSatisfy { $0.objectValue?["choices"]?.arrayValue?.first?.objectValue?["message"] != nil }
        var result = BenchResult(figures: [
            "serve_requests": Double(requests),
            "serve_sequential_s": sequentialSeconds, "serve_concurrent_s": concurrentSeconds,
            "serve_speedup": sequentialSeconds / concurrentSeconds,
            "serve_sequential_tokens_per_s": Double(tokens(sequential)) / sequentialSeconds,
            "serve_concurrent_tokens_per_s": Double(tokens(concurrent)) / concurrentSeconds,
            "serve_mean_batch": Double(after.decodedChoices - before.decodedChoices) / Double(max(1, after.decodeSteps - before.decodeSteps)),
        ])
        if !answered { result.warnings.append("serve: some concurrent requests had no answer") }
        if tokens(sequential) != tokens(concurrent) {
            result.warnings.append("serve: greedy replies differ in length between sequential and concurrent runs")
        }
        return result
    }
}

/// The port the server reports from its own thread.
private final class LockedPort: @unchecked Sendable {
    private let lock = NSLock()
    private var port = 0
    var value: Int {
        get { lock.withLock { port } }
        set { lock.withLock { port = newValue } }
    }
}
