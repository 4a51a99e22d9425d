import AEPOCore
import AsyncHTTPClient
import Foundation
import NIOCore

/// A blocking client for an OpenAI-compatible server's `/v1/completions`: a deadline per request,
/// retries with exponential back-off on transport errors, 429 and 5xx, and at most `concurrency`
/// requests in flight.
public final class OpenAIEndpoint {
    public struct Settings: Sendable {
        /// The server's base URL (`http://host:port` or `…/v1`).
        public var url: String
        public var apiKey: String?
        public var timeout: TimeInterval
        /// Further attempts after the first; waits `backoff · 2^attempt` seconds between them.
        public var retries: Int
        public var backoff: TimeInterval
        public var concurrency: Int

        public init(url: String, apiKey: String? = nil, timeout: TimeInterval = 120, retries: Int = 3,
                    backoff: TimeInterval = 0.5, concurrency: Int = 16) {
            self.url = url
            self.apiKey = apiKey
            self.timeout = timeout
            self.retries = retries
            self.backoff = backoff
            self.concurrency = concurrency
        }
    }

    public let settings: Settings
    private var client: HTTPClient { Self.client }
    /// One client for the process, like `HTTPClient.shared` but with room for `maxConcurrency` connections
    /// per server (the shared one keeps 8 and times out requests queued behind them).
    private static let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
        connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: maxConcurrency)))
    public static let maxConcurrency = 64

    public init(settings: Settings) throws {
        guard let parsed = URL(string: settings.url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw InputError("expected an http(s) URL such as http://127.0.0.1:8000, got '\(settings.url)'", source: "--endpoint")
        }
        guard (1...Self.maxConcurrency).contains(settings.concurrency), settings.retries >= 0, settings.timeout > 0 else {
            throw InputError("concurrency must be in 1...\(Self.maxConcurrency), retries ≥ 0 and the timeout > 0", source: "--endpoint")
        }
        self.settings = settings
    }

    /// `base/v1/<path>`.
    public func url(_ path: String) -> String {
        var base = settings.url
        while base.hasSuffix("/") { base.removeLast() }
        if !base.hasSuffix("/v1") { base += "/v1" }
        return base + "/" + path
    }

    /// POSTs every body to `path` (at most `concurrency` at once) and returns the parsed replies in order.
    public func post(_ path: String, bodies: [JSONValue]) throws -> [JSONValue] {
        let work = SharedWork(count: bodies.count)
        let done = DispatchGroup()
        for _ in 0..<min(settings.concurrency, bodies.count) {
            done.enter()
            Thread { [self] in
                while let i = work.take() { work.store(Result { try self.post(path, body: bodies[i]) }, at: i) }
                done.leave()
            }.start()
        }
        done.wait()
        return try work.results.map { try $0!.get() }
    }

    /// One POST with retries.
    public func post(_ path: String, body: JSONValue) throws -> JSONValue {
        let target = url(path)
        var attempt = 0
        while true {
            do {
                return try once(target, body: body)
            } catch let error as RemoteError where error.retryable && attempt < settings.retries {
                Thread.sleep(forTimeInterval: settings.backoff * Double(1 << attempt))
                attempt += 1
            }
        }
    }

    private func once(_ target: String, body: JSONValue) throws -> JSONValue {
        var request = try HTTPClient.Request(url: target, method: .POST)
        request.headers.add(name: "Content-Type", value: "application/json")
        if let key = settings.apiKey { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        request.body = .string(body.serialized())
        let response: HTTPClient.Response
        do {
            response = try client.execute(request: request, deadline: NIODeadline.now() + TimeAmount.milliseconds(Int64(settings.timeout * 1000))).wait()
        } catch {
            throw RemoteError(message: "\(target): \(error)", retryable: true)
        }
        let bytes = response.body.map { Array($0.readableBytesView) } ?? []
        guard response.status == .ok else {
            let detail = (try? JSONValue.parse(bytes))?.objectValue?["error"]?.objectValue?["message"]?.stringValue
                ?? String(decoding: bytes.prefix(300), as: UTF8.self)
            throw RemoteError(message: "\(target) answered \(response.status.code): \(detail)",
                              retryable: response.status.code == 429 || response.status.code >= 500)
        }
        do {
            return try JSONValue.parse(bytes)
        } catch {
            throw RemoteError(message: "\(target) answered with malformed JSON: \(error)", retryable: false)
        }
    }
}

/// A failed request to the remote server.
public struct RemoteError: Error, CustomStringConvertible, Sendable {
    public var message: String
    /// Transport errors, 429 and 5xx are retried.
    public var retryable: Bool

    public var description: String { message }
}

/// Indices handed out to worker threads and the results they store, under a lock.
private final class SharedWork: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private(set) var results: [Result<JSONValue, Error>?]

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func take() -> Int? {
        lock.withLock {
            guard next < results.count else { return nil }
            next += 1
            return next - 1
        }
    }

    func store(_ result: Result<JSONValue, Error>, at index: Int) {
        lock.withLock { results[index] = result }
    }
}
