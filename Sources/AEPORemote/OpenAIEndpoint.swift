import AEPOCore
import AsyncHTTPClient
import Foundation
import NIOCore

/// A blocking client for an OpenAI-compatible server: a deadline per request and retries with exponential back-off
/// on transport errors, 429 and 5xx. `EndpointFleet` keeps at most `concurrency` requests in flight per server.
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
    /// A refused connection fails the request at once (the client's own retries, with their back-off, decide what
    /// follows), instead of being retried until the request's deadline: a server that is gone costs `retries` quick
    /// attempts, not `retries` timeouts, before a fleet drops it.
    private static let client: HTTPClient = {
        var pool = HTTPClient.Configuration.ConnectionPool(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: maxConcurrency)
        pool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(connectionPool: pool))
    }()
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
        root + "/v1/" + path
    }

    /// The server's address without `/v1`: where endpoints outside the OpenAI API live (SGLang's `/update_weights_from_disk`).
    public var root: String {
        var base = settings.url
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/v1") { base.removeLast(3) }
        return base
    }

    /// One POST of `body` to `base/v1/<path>` with retries; the parsed reply.
    public func post(_ path: String, body: JSONValue) throws -> JSONValue {
        try send(to: url(path), body: body)
    }

    /// One request to `target` (a full URL; a POST of `body`, a GET without one) with retries: transport errors, 429 and
    /// 5xx are retried, waiting `backoff · 2^attempt` seconds. The parsed JSON reply, or `.null` when `parsingReply` is
    /// false (vLLM answers its LoRA endpoints in plain text).
    public func send(to target: String, body: JSONValue? = nil, parsingReply: Bool = true) throws -> JSONValue {
        var attempt = 0
        while true {
            do {
                return try once(target, body: body, parsingReply: parsingReply)
            } catch let error as RemoteError where error.retryable && attempt < settings.retries {
                Thread.sleep(forTimeInterval: settings.backoff * Double(1 << attempt))
                attempt += 1
            }
        }
    }

    private func once(_ target: String, body: JSONValue?, parsingReply: Bool) throws -> JSONValue {
        var request = try HTTPClient.Request(url: target, method: body == nil ? .GET : .POST)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .string(body.serialized())
        }
        if let key = settings.apiKey { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        let response: HTTPClient.Response
        do {
            response = try client.execute(request: request, deadline: NIODeadline.now() + TimeAmount.milliseconds(Int64(settings.timeout * 1000))).wait()
        } catch {
            throw RemoteError(message: "\(target): \(error)", retryable: true)
        }
        let bytes = response.body.map { Array($0.readableBytesView) } ?? []
        guard response.status == .ok else {
            let error = (try? JSONValue.parse(bytes))?.objectValue?["error"]?.objectValue
            let detail = error?["message"]?.stringValue ?? String(decoding: bytes.prefix(300), as: UTF8.self)
            throw RemoteError(message: "\(target) answered \(response.status.code): \(detail)",
                              retryable: response.status.code == 429 || response.status.code >= 500,
                              status: Int(response.status.code), code: error?["code"]?.stringValue)
        }
        guard parsingReply else { return .null }
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
    /// The HTTP status of an answer other than 200 (nil for a transport error), and the OpenAI error's `code` if any.
    public var status: Int?
    public var code: String?

    public init(message: String, retryable: Bool, status: Int? = nil, code: String? = nil) {
        self.message = message
        self.retryable = retryable
        self.status = status
        self.code = code
    }

    public var description: String { message }
}
