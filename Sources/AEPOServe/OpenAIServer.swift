import AEPOCore
import AEPOModel
import AEPOTokenizer
import Foundation
import Hummingbird

/// The OpenAI-compatible HTTP API over a `GenerationScheduler`: `GET /v1/models`, `POST /v1/completions`,
/// `POST /v1/chat/completions` (JSON or server-sent events with `stream`), every error in OpenAI's shape (those of
/// HTTP itself through `MalformedRequestHandler`). With `loading`, also the runtime updates of `RuntimeLoading`: a
/// request whose `model` names a loaded adapter is served with it.
public struct OpenAIServer: Sendable {
    public let scheduler: GenerationScheduler
    public let modelName: String
    public let template: ChatTemplate
    public let loading: RuntimeLoading?
    private let created = Int(Date().timeIntervalSince1970)

    /// `template` renders `/v1/chat/completions` messages; by default ChatML or a plain transcript
    /// (`ChatTemplate.fallback(for:)` the scheduler's tokenizer).
    public init(scheduler: GenerationScheduler, modelName: String, template: ChatTemplate? = nil, loading: RuntimeLoading? = nil) {
        self.scheduler = scheduler
        self.modelName = modelName
        self.loading = loading
        self.template = template ?? .fallback(for: scheduler.tokenizer)
    }

    var limits: ServeLimits { scheduler.limits }

    /// The router with the endpoints behind the error middleware.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: OpenAIErrorMiddleware())
        router.get("/v1/models") { _, _ in Self.json(models) }
        router.post("/v1/completions") { request, _ in try await generate(request, kind: .completion) }
        router.post("/v1/chat/completions") { request, _ in try await generate(request, kind: .chat) }
        if let loading {
            if loading.adapters {
                router.post("/v1/load_lora_adapter") { request, _ in try await loadAdapter(request, loading: loading) }
                router.post("/v1/unload_lora_adapter") { request, _ in try await unloadAdapter(request) }
            }
            router.post("/update_weights_from_disk") { request, _ in try await updateWeights(request, loading: loading) }
        }
        return router
    }

    /// `/v1/models`: the base model, then the loaded adapters (by name, with their directory as `root`).
    private var models: JSONValue {
        func entry(_ id: String, _ extra: [String: JSONValue] = [:]) -> JSONValue {
            .object(["id": .string(id), "object": .string("model"), "created": .integer(created), "owned_by": .string("aepo")]
                .merging(extra) { $1 })
        }
        let adapters = scheduler.models.adapters.sorted { $0.key < $1.key }.map {
            entry($0.key, ["root": .string($0.value.path), "parent": .string(modelName)])
        }
        return .object(["object": .string("list"), "data": .array([entry(modelName)] + adapters)])
    }

    /// The request's body, at most `limits.maxBodyBytes` (413 beyond).
    func body(_ request: Request) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limits.maxBodyBytes {
            throw Self.tooLarge(limits.maxBodyBytes)
        }
        do {
            return Array(try await request.body.collect(upTo: limits.maxBodyBytes).readableBytesView)
        } catch {
            throw Self.tooLarge(limits.maxBodyBytes)
        }
    }

    /// An application serving `router()` at `host:port` (port 0: any free port, reported to `onServerRunning`).
    public func application(host: String, port: Int, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol {
        Application(router: router(), server: .http1(configuration: .init(additionalChannelHandlers: [MalformedRequestHandler()])),
                    configuration: .init(address: .hostname(host, port: port), serverName: "aepo"),
                    onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) })
    }

    private func generate(_ request: Request, kind: GenerationRequest.Kind) async throws -> Response {
        let parsed = try GenerationRequest(body: try await body(request), kind: kind, tokenizer: scheduler.tokenizer,
                                           template: template, config: scheduler.engine.config, limits: limits)
        let engine: InferenceEngine
        if parsed.model == modelName {
            engine = scheduler.models.base
        } else if let adapter = scheduler.models.adapter(parsed.model) {
            engine = adapter.engine
        } else {
            let names = [modelName] + scheduler.models.adapters.keys.sorted()
            throw OpenAIError(.notFound, "the model '\(parsed.model)' does not exist; this server serves "
                              + names.map { "'\($0)'" }.joined(separator: ", "), param: "model", code: "model_not_found")
        }
        let events = try scheduler.submit(parsed, on: engine)
        let rendering = ResponseRendering(request: parsed, model: parsed.model, tokenizer: scheduler.tokenizer,
                                          id: (kind == .chat ? "chatcmpl-" : "cmpl-") + UUID().uuidString.lowercased(),
                                          created: Int(Date().timeIntervalSince1970))
        if parsed.stream {
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                            body: ResponseBody { writer in
                                for await event in events {
                                    for chunk in rendering.chunks(for: event) {
                                        try await writer.write(ByteBuffer(string: "data: \(chunk.serialized())\n\n"))
                                    }
                                }
                                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                                try await writer.finish(nil)
                            })
        }
        var collected = ResponseRendering.Collected(choices: parsed.choices)
        for await event in events {
            if case .failed = event { throw OpenAIError(.internalServerError, "generation failed", type: "server_error") }
            collected.add(event)
        }
        return Self.json(rendering.response(collected))
    }

    static func tooLarge(_ limit: Int) -> OpenAIError {
        OpenAIError(.contentTooLarge, "the request body exceeds this server's limit of \(limit) bytes", code: "request_too_large")
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: value.serialized())))
    }
}

/// Turns every error into OpenAI's JSON shape: `OpenAIError` as it is, Hummingbird's HTTP errors
/// (unknown route 404, wrong method 405, …) with their status, anything else a 500 without details.
struct OpenAIErrorMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as OpenAIError {
            return OpenAIServer.json(error.json, status: error.status)
        } catch let error as HTTPError {
            let message = error.status == .notFound ? "unknown route \(request.method) \(request.uri.path)" : error.body ?? error.status.reasonPhrase
            return OpenAIServer.json(OpenAIError(error.status, message).json, status: error.status)
        } catch {
            context.logger.error("request failed: \(error)")
            return OpenAIServer.json(OpenAIError(.internalServerError, "internal server error").json, status: .internalServerError)
        }
    }
}
