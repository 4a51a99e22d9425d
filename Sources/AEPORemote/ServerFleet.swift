import AEPOAgent
import AEPOCore
import AEPOModel
import Foundation

/// The servers a trainer samples its rollouts from and keeps on its policy (`aepo train --backend openai`): every server
/// serves the same base model; a policy is published to all of them — a LoRA adapter through vLLM's runtime LoRA API
/// (`/v1/load_lora_adapter`, `/v1/unload_lora_adapter`), whole weights through SGLang's `/update_weights_from_disk` — and
/// rollouts are sampled across them (`EndpointFleet`, refusing replies under another model name than the policy's). A
/// server that fails after its retries, at any of these, is dropped with a warning; an error only when none is left.
public final class ServerFleet {
    public let fleet: EndpointFleet

    public init(fleet: EndpointFleet) {
        self.fleet = fleet
        fleet.checksModelNames = true
    }

    /// The base URLs of the servers still in use.
    public var members: [String] { fleet.endpoints.map(\.settings.url) }

    /// Every server's `/v1/models`; the name of the base model they all serve (the first model listed).
    public func baseModelName() throws -> String {
        let names = try eachServer { endpoint -> String in
            let reply = try endpoint.send(to: endpoint.url("models"))
            guard let id = reply.objectValue?["data"]?.arrayValue?.first?.objectValue?["id"]?.stringValue else {
                throw RemoteError(message: "\(endpoint.url("models")) lists no model", retryable: false)
            }
            return id
        }
        guard Set(names.map(\.1)).count == 1 else {
            throw InputError("the servers serve their base model under different names (" + names.map { "\($0.0): '\($0.1)'" }
                .joined(separator: ", ") + "); requests without an adapter name it, so give every server the same name",
                             source: "rollout.endpoints")
        }
        return names[0].1
    }

    /// Makes every server serve the policy in `directory` (see `RolloutServers.publish`).
    public func publish(_ directory: URL, as name: String, replacing previous: [String], adapter: Bool) throws {
        _ = try eachServer { endpoint in
            guard adapter else {
                let target = endpoint.root + "/update_weights_from_disk"
                try Self.explaining(target, "/update_weights_from_disk: start aepo serve with --lora-dir DIR (DIR holding "
                                    + "\(directory.path)), or SGLang") {
                    let reply = try endpoint.send(to: target, body: .object(["model_path": .string(directory.path)]))
                    guard reply.objectValue?["success"]?.boolValue != false else {
                        throw RemoteError(message: "\(target) did not load \(directory.path): "
                                          + (reply.objectValue?["message"]?.stringValue ?? reply.serialized()), retryable: false)
                    }
                }
                return
            }
            // A copy of this name from an earlier run of this directory (a resume) would refuse the load.
            _ = try? endpoint.send(to: endpoint.url("unload_lora_adapter"), body: .object(["lora_name": .string(name)]), parsingReply: false)
            try Self.explaining(endpoint.url("load_lora_adapter"), "/v1/load_lora_adapter: start aepo serve with --enable-lora "
                                + "--lora-dir DIR (DIR holding \(directory.path)), or vLLM with --enable-lora and "
                                + "VLLM_ALLOW_RUNTIME_LORA_UPDATING=True") {
                _ = try endpoint.send(to: endpoint.url("load_lora_adapter"), body: .object([
                    "lora_name": .string(name), "lora_path": .string(directory.path)]), parsingReply: false)
            }
            for previous in previous where previous != name {
                _ = try? endpoint.send(to: endpoint.url("unload_lora_adapter"), body: .object(["lora_name": .string(previous)]),
                                       parsingReply: false)
            }
        }
    }

    /// A sampling backend over the fleet whose requests name `model`.
    public func backend(model: String, sampling: SamplingSettings, topLogprobs: Int, vocabularySize: Int,
                        contextLength: Int) throws -> SamplingBackend {
        try RemoteSampler(fleet: fleet, settings: .init(model: model, sampling: sampling, topLogprobs: topLogprobs,
                                                        vocabularySize: vocabularySize, contextLength: contextLength))
    }

    /// Every server's greedy completion of `prompt` as `model`: its tokens and their log-probs (`log softmax(z)`).
    public func probe(model: String, prompt: [Int], maxTokens: Int) throws -> [(server: String, tokens: [Int], logProbs: [Float])] {
        let body: JSONValue = .object([
            "model": .string(model), "prompt": .array(prompt.map { .integer($0) }), "max_tokens": .integer(maxTokens),
            "temperature": .number(0), "logprobs": .integer(1), "return_tokens_as_token_ids": .bool(true),
            "skip_special_tokens": .bool(false),
        ])
        return try eachServer { endpoint in
            let source = endpoint.url("completions")
            let logprobs = try endpoint.post("completions", body: body).objectValue?["choices"]?.arrayValue?.first?
                .objectValue?["logprobs"]?.objectValue
            guard let names = logprobs?["tokens"]?.arrayValue, let values = logprobs?["token_logprobs"]?.arrayValue,
                  names.count == values.count else {
                throw RemoteError(message: "\(source) answered the probe without token log-probs", retryable: false)
            }
            let tokens = try names.map { try RemoteSampler.tokenID($0, source: source) }
            return (endpoint.settings.url, tokens, values.map { Float($0.doubleValue ?? -.infinity) })
        }.map(\.1)
    }

    /// `body` on every live server at once; the results of those that answered, in fleet order. A server whose `body`
    /// throws is dropped with the error as the reason; an error when none is left.
    private func eachServer<T>(_ body: @escaping (OpenAIEndpoint) throws -> T) throws -> [(String, T)] {
        let endpoints = fleet.endpoints
        let lock = NSLock()
        var results: [Int: T] = [:]
        DispatchQueue.concurrentPerform(iterations: endpoints.count) { i in
            do {
                let value = try body(endpoints[i])
                lock.withLock { results[i] = value }
            } catch {
                fleet.drop(endpoints[i], reason: "\(error)")
            }
        }
        try fleet.requireServers()
        return results.keys.sorted().map { (endpoints[$0].settings.url, results[$0]!) }
    }

    /// Runs `body`; a 404 from `target` (the endpoint is missing) becomes an error saying the server has no `missing`, a
    /// 403 one saying the server may not read the policy's directory.
    private static func explaining(_ target: String, _ missing: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as RemoteError where error.status == 404 {
            throw RemoteError(message: "\(target) answered 404: the server has no \(missing)", retryable: false, status: 404)
        } catch let error as RemoteError where error.status == 403 {
            throw RemoteError(message: "\(error.message) (the server may only read under its --lora-dir, which must hold the "
                              + "trainer's run directory)", retryable: false, status: 403)
        }
    }
}
