import AEPOCore
import AEPOJinja
import AEPOModel
import AEPOTokenizer

/// A validated `/v1/completions` or `/v1/chat/completions` body.
///
/// Besides OpenAI's fields it accepts the common server extensions `top_k`, `skip_special_tokens`
/// (default true), `include_stop_str_in_output` (default false), `return_tokens_as_token_ids`
/// (logprob tokens written `token_id:N`) and `chat_template_kwargs` (variables for the chat template, e.g.
/// `{"enable_thinking": false}`). A chat's messages reach the template with all their fields (`reasoning_content`,
/// `tool_calls`, …) and `tools` as the template's `tools`, every object's keys in the order written. Reported log-probs are the model's, `log softmax(z)`,
/// before temperature, top-k and top-p.
public struct GenerationRequest: Sendable {
    public enum Kind: Sendable { case completion, chat }

    public var kind: Kind
    public var model: String
    public var prompt: [Int]
    public var maxTokens: Int
    public var sampling: SamplingSettings
    public var choices: Int
    public var seed: UInt64?
    public var stop: [String]
    /// Top alternatives per token; nil when log-probs were not asked for.
    public var topLogprobs: Int?
    public var stream: Bool
    public var skipSpecialTokens: Bool
    public var includeStopString: Bool
    public var tokensAsIDs: Bool

    /// Parses and validates `body`; every problem is an `OpenAIError` 400 naming the field.
    public init(body: [UInt8], kind: Kind, tokenizer: Tokenizer, template: ChatTemplate, config: Qwen3Config, limits: ServeLimits) throws {
        let f = try RequestFields(body: body)
        let fields = f.values
        self.kind = kind
        guard let model = try f.string("model") else { throw OpenAIError.invalid("model", "'model' is required") }
        self.model = model

        switch kind {
        case .completion:
            guard let p = fields["prompt"] else { throw OpenAIError.invalid("prompt", "'prompt' is required") }
            prompt = try Self.prompt(p, tokenizer: tokenizer, vocabulary: config.vocabSize)
        case .chat:
            guard let m = fields["messages"] else { throw OpenAIError.invalid("messages", "'messages' is required") }
            // The body once more with each object's keys in the order written, as Python's json.loads gives them to
            // the template (it parsed above, so this cannot fail).
            guard case .dictionary(let ordered) = try JinjaValue.parse(json: body) else { preconditionFailure("the body is an object") }
            var variables = try Self.templateVariables(fields["chat_template_kwargs"], ordered["chat_template_kwargs"])
            variables["messages"] = .list(try Self.messages(m, ordered["messages"]))
            variables["add_generation_prompt"] = true
            if let tools = try Self.tools(fields["tools"], ordered["tools"]) { variables["tools"] = tools }
            do {
                prompt = tokenizer.encode(try template.render(variables: variables))
            } catch let error as InputError {
                throw OpenAIError.invalid("messages", "the chat template failed: " + (error.line.map { "line \($0): " } ?? "") + error.message)
            }
        }
        guard !prompt.isEmpty else { throw OpenAIError.invalid(kind == .chat ? "messages" : "prompt", "the prompt is empty") }
        guard prompt.count <= limits.maxPromptTokens else {
            throw OpenAIError.invalid(kind == .chat ? "messages" : "prompt",
                                      "the prompt has \(prompt.count) tokens; this server accepts at most \(limits.maxPromptTokens)")
        }
        let room = config.maxPositionEmbeddings - prompt.count
        guard room >= 1 else {
            throw OpenAIError.invalid(kind == .chat ? "messages" : "prompt",
                                      "the prompt has \(prompt.count) tokens; the model's context holds \(config.maxPositionEmbeddings)")
        }

        let requested = try f.int("max_tokens", in: 1...limits.maxTokens) ?? f.int("max_completion_tokens", in: 1...limits.maxTokens)
        maxTokens = min(room, requested ?? (kind == .chat ? limits.maxTokens : 16))
        let temperature = try f.number("temperature", in: 0...2) ?? 1
        let topP = try f.number("top_p", in: 0...1) ?? 1
        guard topP > 0 else { throw OpenAIError.invalid("top_p", "'top_p' must be in (0, 1], got 0") }
        let topK = try f.int("top_k", in: -1...Int.max) ?? 0
        sampling = SamplingSettings(temperature: Float(temperature), topK: max(0, topK), topP: Float(topP))
        choices = try f.int("n", in: 1...limits.maxChoices) ?? 1
        seed = try f.int("seed", in: Int.min...Int.max).map { UInt64(bitPattern: Int64($0)) }
        stop = try Self.stop(fields["stop"])
        stream = try f.bool("stream") ?? false
        skipSpecialTokens = try f.bool("skip_special_tokens") ?? true
        includeStopString = try f.bool("include_stop_str_in_output") ?? false
        tokensAsIDs = try f.bool("return_tokens_as_token_ids") ?? false
        switch kind {
        case .completion:
            topLogprobs = try f.int("logprobs", in: 0...limits.maxTopLogprobs)
        case .chat:
            let wanted = try f.bool("logprobs") ?? false
            let top = try f.int("top_logprobs", in: 0...limits.maxTopLogprobs)
            if top != nil && !wanted { throw OpenAIError.invalid("top_logprobs", "'top_logprobs' needs 'logprobs': true") }
            topLogprobs = wanted ? (top ?? 0) : nil
        }
        if try f.bool("echo") == true { throw OpenAIError.invalid("echo", "'echo' is not supported") }
    }

    private static func prompt(_ p: JSONValue, tokenizer: Tokenizer, vocabulary: Int) throws -> [Int] {
        switch p {
        case .string(let text):
            return tokenizer.encode(text)
        case .array(let items) where items.count == 1 && items[0].stringValue != nil:
            return tokenizer.encode(items[0].stringValue!)
        case .array(let items) where items.allSatisfy({ $0.doubleValue != nil }):
            return try items.enumerated().map { index, item in
                do {
                    return try item.tokenID(vocabularySize: vocabulary)
                } catch {
                    throw OpenAIError.invalid("prompt", "prompt[\(index)]: \(error)")
                }
            }
        default:
            throw OpenAIError.invalid("prompt", "'prompt' must be a string or an array of token ids (one prompt per request), found \(p.typeName)")
        }
    }

    /// The roles a message may have.
    private static let roles: Set<String> = ["system", "user", "assistant", "tool", "developer"]

    /// The messages as the template sees them: every field as sent (`reasoning_content`, `tool_calls`, `name`, …, in
    /// the order written), `content` as one string (text parts joined, none or null as empty).
    private static func messages(_ m: JSONValue, _ ordered: JinjaValue?) throws -> [JinjaValue] {
        guard let items = m.arrayValue, !items.isEmpty, case .list(let orderedItems)? = ordered else {
            throw OpenAIError.invalid("messages", "'messages' must be a non-empty array")
        }
        return try zip(items, orderedItems).enumerated().map { i, pair in
            let (item, orderedItem) = pair
            guard let o = item.objectValue, case .dictionary(var message) = orderedItem else {
                throw OpenAIError.invalid("messages[\(i)]", "a message must be an object, found \(item.typeName)")
            }
            guard let role = o["role"]?.stringValue, roles.contains(role) else {
                throw OpenAIError.invalid("messages[\(i)].role", "'role' must be one of \(roles.sorted().joined(separator: ", "))")
            }
            switch o["content"] {
            case .string?:
                break
            case .array(let parts)?:
                let texts = parts.compactMap { $0.objectValue?["type"]?.stringValue == "text" ? $0.objectValue?["text"]?.stringValue : nil }
                guard texts.count == parts.count else {
                    throw OpenAIError.invalid("messages[\(i)].content", "only text content parts are supported")
                }
                message["content"] = .string(texts.joined())
            case .null?, nil:
                message["content"] = .string("")
            case let other?:
                throw OpenAIError.invalid("messages[\(i)].content", "'content' must be a string or an array of text parts, found \(other.typeName)")
            }
            return .dictionary(message)
        }
    }

    /// `tools`: the function schemas the template shows the model (none when absent or null).
    private static func tools(_ value: JSONValue?, _ ordered: JinjaValue?) throws -> JinjaValue? {
        switch value {
        case nil, .null?: return nil
        case .array(let items)? where items.allSatisfy({ $0.objectValue != nil }): return ordered
        case let other?:
            throw OpenAIError.invalid("tools", "'tools' must be an array of objects, found \(other.typeName)")
        }
    }

    /// `chat_template_kwargs`: an object whose fields become variables of the chat template.
    private static func templateVariables(_ value: JSONValue?, _ ordered: JinjaValue?) throws -> [String: JinjaValue] {
        switch (value, ordered) {
        case (nil, _), (.null?, _): return [:]
        case (.object?, .dictionary(let fields)?): return Dictionary(uniqueKeysWithValues: fields.items.map { ($0.key, $0.value) })
        case (let other?, _):
            throw OpenAIError.invalid("chat_template_kwargs", "'chat_template_kwargs' must be an object, found \(other.typeName)")
        }
    }

    private static func stop(_ value: JSONValue?) throws -> [String] {
        switch value {
        case nil, .null?: return []
        case .string(let s)?:
            guard !s.isEmpty else { throw OpenAIError.invalid("stop", "a stop string must not be empty") }
            return [s]
        case .array(let items)?:
            let strings = items.compactMap(\.stringValue)
            guard strings.count == items.count, !strings.contains(""), strings.count <= 16 else {
                throw OpenAIError.invalid("stop", "'stop' must be a string or an array of at most 16 non-empty strings")
            }
            return strings
        case let other?:
            throw OpenAIError.invalid("stop", "'stop' must be a string or an array of strings, found \(other.typeName)")
        }
    }
}
