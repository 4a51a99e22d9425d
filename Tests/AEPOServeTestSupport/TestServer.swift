import AEPOAgentTestSupport
import AEPOCore
import AEPOModel
import AEPOServe
import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore

/// `aepo serve`'s server (by default over the tool-prone tiny model), started in-process on a free loopback port.
public final class TestServer {
    public let scheduler: GenerationScheduler
    public let port: Int
    private let task: Task<Void, Error>

    public static let modelName = "tiny"

    private init(scheduler: GenerationScheduler, port: Int, task: Task<Void, Error>) {
        self.scheduler = scheduler
        self.port = port
        self.task = task
    }

    /// A server of `model` (default: the tool-prone model) with `loading`, the runtime updates it serves (none by default),
    /// over an engine of passes of at most `maxTokensPerPass` tokens.
    public static func start(model: Qwen3Model? = nil, maxTokensPerPass: Int = InferenceEngine.defaultMaxTokensPerPass,
                             limits: ServeLimits = ServeLimits(maxBodyBytes: 4096, maxTokens: 200, maxPromptTokens: 400,
                                                               maxConcurrentRequests: 16, maxTopLogprobs: AgentFixture.vocabularySize),
                             loading: RuntimeLoading? = nil) async throws -> TestServer {
        let engine = try InferenceEngine(model: try model ?? ToolProneModel.make(), blockSize: 16, maxTokensPerPass: maxTokensPerPass)
        let scheduler = GenerationScheduler(engine: engine, tokenizer: AgentFixture.tokenizer, limits: limits)
        let server = OpenAIServer(scheduler: scheduler, modelName: modelName, loading: loading)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = server.application(host: "127.0.0.1", port: 0) { continuation.yield($0) }
        let task = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw RemoteTestError("the server did not start") }
        return TestServer(scheduler: scheduler, port: port, task: task)
    }

    public var url: String { "http://127.0.0.1:\(port)" }

    /// Cancels the server (the service group shuts it down) and stops the engine thread.
    public func stop() async {
        task.cancel()
        scheduler.shutdown()
    }

    /// Sends `body` to `path` and returns the status and the body.
    public func send(_ path: String, method: String = "POST", body: String? = nil) async throws -> (status: Int, body: String) {
        try await Self.send(path, to: url, method: method, body: body)
    }

    /// Sends `body` to `path` of the server at `url` and returns the status and the body.
    public static func send(_ path: String, to url: String, method: String = "POST", body: String? = nil) async throws -> (status: Int, body: String) {
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

extension TestServer {
    /// Writes `request` as it is over a fresh TCP connection and reads until the server closes its side (or 30 s
    /// pass): the status code and the body of the reply.
    public func sendRaw(_ request: [UInt8]) async throws -> (status: Int, body: String) {
        let port = self.port
        let reply = try await offPool { () -> [UInt8] in
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard socket >= 0 else { throw RemoteTestError("socket() failed") }
            defer { Glibc.close(socket) }
            var timeout = timeval(tv_sec: 30, tv_usec: 0)
            setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw RemoteTestError("connect() failed") }
            var sent = 0
            while sent < request.count {
                let n = request[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard n > 0 else { break }  // the server may stop reading once it has answered
                sent += n
            }
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = Glibc.recv(socket, &buffer, buffer.count, 0)
                guard n > 0 else { break }
                received += buffer[..<n]
            }
            return received
        }
        let text = String(decoding: reply, as: UTF8.self)
        guard let statusLine = text.split(separator: "\r\n").first, let status = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) }),
              let bodyStart = text.range(of: "\r\n\r\n") else {
            throw RemoteTestError("not an HTTP reply: \(text.prefix(200))")
        }
        return (status, String(text[bodyStart.upperBound...]))
    }
}

public struct RemoteTestError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Runs blocking work (the synchronous agent loop) on its own thread, off the concurrency pool the server uses.
@discardableResult
public func offPool<T>(_ work: @escaping () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
