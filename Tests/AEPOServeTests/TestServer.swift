import AEPOAgentTestSupport
import AEPOCore
import AEPOModel
import AEPOServe
import AsyncHTTPClient
import Foundation
import NIOCore

/// `aepo serve`'s server over the tool-prone tiny model, started in-process on a free loopback port.
final class TestServer {
    let scheduler: GenerationScheduler
    let port: Int
    private let task: Task<Void, Error>

    static let modelName = "tiny"

    private init(scheduler: GenerationScheduler, port: Int, task: Task<Void, Error>) {
        self.scheduler = scheduler
        self.port = port
        self.task = task
    }

    static func start(limits: ServeLimits = ServeLimits(maxBodyBytes: 4096, maxTokens: 200, maxPromptTokens: 400,
                                                        maxConcurrentRequests: 16, maxTopLogprobs: AgentFixture.vocabularySize)) async throws -> TestServer {
        let engine = InferenceEngine(model: ToolProneModel.make(), blockSize: 16)
        let scheduler = GenerationScheduler(engine: engine, tokenizer: AgentFixture.tokenizer, limits: limits)
        let server = OpenAIServer(scheduler: scheduler, modelName: modelName)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = server.application(host: "127.0.0.1", port: 0) { continuation.yield($0) }
        let task = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw RemoteTestError("the server did not start") }
        return TestServer(scheduler: scheduler, port: port, task: task)
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// Cancels the server (the service group shuts it down) and stops the engine thread.
    func stop() async {
        task.cancel()
        scheduler.shutdown()
    }

    /// Sends `body` to `path` and returns the status and the body.
    func send(_ path: String, method: String = "POST", body: String? = nil) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: url + path)
        request.method = .RAW(value: method)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 1 << 24)
        return (Int(response.status.code), String(buffer: bytes))
    }
}

struct RemoteTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs blocking work (the synchronous agent loop) on its own thread, off the concurrency pool the server uses.
func offPool<T>(_ work: @escaping () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
