import AEPOCore
import AEPOTokenizer

/// OpenAI response bodies and stream chunks for one request (text completions or chat completions).
struct ResponseRendering: Sendable {
    let request: GenerationRequest
    let model: String
    let tokenizer: Tokenizer
    let id: String
    let created: Int

    /// Everything a non-streaming response needs, gathered from the events.
    struct Collected {
        var tokens: [[GeneratedToken]]
        var text: [String]
        var reasons: [FinishReason?]

        init(choices: Int) {
            tokens = Array(repeating: [], count: choices)
            text = Array(repeating: "", count: choices)
            reasons = Array(repeating: nil, count: choices)
        }

        mutating func add(_ event: GenerationEvent) {
            switch event {
            case .token(let c, let t):
                tokens[c].append(t)
                text[c] += t.text
            case .finished(let c, let reason):
                reasons[c] = reason
            case .failed:
                break
            }
        }
    }

    private var isChat: Bool { request.kind == .chat }

    func response(_ c: Collected) -> JSONValue {
        let choices: [JSONValue] = c.tokens.indices.map { i in
            var choice: [String: JSONValue] = [
                "index": .integer(i), "finish_reason": .string((c.reasons[i] ?? .length).rawValue),
                "logprobs": logprobs(c.tokens[i], textOffset: 0),
            ]
            if isChat {
                choice["message"] = .object(["role": .string("assistant"), "content": .string(c.text[i])])
            } else {
                choice["text"] = .string(c.text[i])
            }
            return .object(choice)
        }
        let completion = c.tokens.reduce(0) { $0 + $1.count }
        return .object([
            "id": .string(id), "object": .string(isChat ? "chat.completion" : "text_completion"), "created": .integer(created),
            "model": .string(model), "choices": .array(choices),
            "usage": .object(["prompt_tokens": .integer(request.prompt.count), "completion_tokens": .integer(completion),
                              "total_tokens": .integer(request.prompt.count + completion)]),
        ])
    }

    /// The stream chunks for one event (none for a failure: the stream then ends with an error chunk).
    func chunks(for event: GenerationEvent) -> [JSONValue] {
        switch event {
        case .token(let c, let t):
            return [chunk(choice: c, text: t.text, tokens: [t], finish: nil)]
        case .finished(let c, let reason):
            return [chunk(choice: c, text: nil, tokens: [], finish: reason)]
        case .failed(let message):
            return [OpenAIError(.internalServerError, message).json]
        }
    }

    private func chunk(choice: Int, text: String?, tokens: [GeneratedToken], finish: FinishReason?) -> JSONValue {
        var c: [String: JSONValue] = [
            "index": .integer(choice), "finish_reason": finish.map { .string($0.rawValue) } ?? .null,
            "logprobs": tokens.isEmpty ? .null : logprobs(tokens, textOffset: 0),
        ]
        if isChat {
            var delta: [String: JSONValue] = ["role": .string("assistant")]
            if let text { delta["content"] = .string(text) }
            c["delta"] = .object(delta)
        } else {
            c["text"] = .string(text ?? "")
        }
        return .object([
            "id": .string(id), "object": .string(isChat ? "chat.completion.chunk" : "text_completion"), "created": .integer(created),
            "model": .string(model), "choices": .array([.object(c)]),
        ])
    }

    /// `null` unless log-probs were asked for; otherwise the completions shape (`tokens`, `token_logprobs`,
    /// `top_logprobs`, `text_offset`) or the chat shape (`content: [{token, logprob, bytes, top_logprobs}]`).
    private func logprobs(_ tokens: [GeneratedToken], textOffset: Int) -> JSONValue {
        guard request.topLogprobs != nil else { return .null }
        if isChat {
            return .object(["content": .array(tokens.map { t in
                var item = entry(t.token, t.logprob)
                item["top_logprobs"] = .array(t.top.map { .object(self.entry($0.token, $0.logprob)) })
                return .object(item)
            })])
        }
        var offsets: [JSONValue] = []
        var offset = textOffset
        for t in tokens {
            offsets.append(.integer(offset))
            offset += t.text.unicodeScalars.count
        }
        return .object([
            "tokens": .array(tokens.map { .string(name($0.token)) }),
            "token_logprobs": .array(tokens.map { .number(Double($0.logprob)) }),
            "top_logprobs": .array(tokens.map { t in
                .object(Dictionary(t.top.map { (name($0.token), JSONValue.number(Double($0.logprob))) }, uniquingKeysWith: { a, _ in a }))
            }),
            "text_offset": .array(offsets),
        ])
    }

    private func entry(_ token: Int, _ logprob: Float) -> [String: JSONValue] {
        let text = name(token)
        return ["token": .string(text), "logprob": .number(Double(logprob)), "bytes": .array(Array(text.utf8).map { .integer(Int($0)) })]
    }

    /// A token as logprobs name it: `token_id:N` when asked for, else its decoded text.
    private func name(_ token: Int) -> String {
        request.tokensAsIDs ? "token_id:\(token)" : ((try? tokenizer.decode([token])) ?? "")
    }
}
