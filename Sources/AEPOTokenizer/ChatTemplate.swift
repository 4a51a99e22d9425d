import AEPOCore
import AEPOJinja
import Foundation

/// Renders a chat as the prompt text a model continues, as transformers'
/// `tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)` does.
///
/// A checkpoint's template comes from its tokenizer files (`load(from:)`): `chat_template.jinja` when present, else
/// `tokenizer_config.json`'s `"chat_template"`, a string or a list of `{"name", "template"}` objects of which "default"
/// is used ("tool_use", when the list has it, for a render given `tools`). The template sees `messages`,
/// `add_generation_prompt`, `tools` and `documents` (none unless given), the special tokens `tokenizer_config.json`
/// names (`bos_token`, `eos_token`, …) and any other variables given; `enable_thinking` stays undefined unless given.
/// Without one, `chatML` (`<|im_start|>{role}\n{content}<|im_end|>\n` per message, then `<|im_start|>assistant\n`)
/// or, for a tokenizer without those markers, `transcript` (`{role}: {content}\n` per message, then `assistant:`).
public struct ChatTemplate: Equatable, Sendable {
    /// A template and where it was read (the file, and the JSON field within it).
    private struct Located: Equatable, Sendable {
        var template: JinjaTemplate
        var source: String
        var field: String?
    }

    private let main: Located
    private let toolUse: Located?
    /// The special tokens of `tokenizer_config.json` (`bos_token`, `eos_token`, …) the template sees.
    public let specialTokens: [String: String]

    static let configFileName = "tokenizer_config.json"
    static let jinjaFileName = "chat_template.jinja"
    /// transformers' named special tokens (`special_tokens_map`).
    static let specialTokenNames = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]

    public static let chatML = builtIn("built-in ChatML", """
        {% for message in messages %}{{ '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{% endfor %}\
        {% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}
        """)

    public static let transcript = builtIn("built-in transcript", """
        {% for message in messages %}{{ message.role + ': ' + message.content + '\\n' }}{% endfor %}\
        {% if add_generation_prompt %}{{ 'assistant:' }}{% endif %}
        """)

    private static func builtIn(_ name: String, _ source: String) -> ChatTemplate {
        // Constant sources that parse (ChatTemplateTests renders both).
        ChatTemplate(main: Located(template: try! JinjaTemplate(source), source: name), toolUse: nil, specialTokens: [:])
    }

    private init(main: Located, toolUse: Located?, specialTokens: [String: String]) {
        self.main = main
        self.toolUse = toolUse
        self.specialTokens = specialTokens
    }

    /// Where the template was read (a file path, or "built-in ChatML").
    public var source: String { main.source }

    /// `chatML` when `tokenizer` has `<|im_start|>` and `<|im_end|>`, else `transcript`.
    public static func fallback(for tokenizer: Tokenizer) -> ChatTemplate {
        tokenizer.id(forToken: "<|im_start|>") != nil && tokenizer.id(forToken: "<|im_end|>") != nil ? .chatML : .transcript
    }

    /// The chat template of the Hugging Face tokenizer files in `directory`, or nil when they have none. A file that
    /// cannot be read, a malformed field or a template that does not parse is an `InputError` naming the file, the
    /// field and the template's line.
    public static func load(from directory: URL) throws -> ChatTemplate? {
        let configURL = directory.appendingPathComponent(configFileName)
        let jinjaURL = directory.appendingPathComponent(jinjaFileName)
        var specialTokens: [String: String] = [:]
        var configured: JSONValue?
        if FileManager.default.fileExists(atPath: configURL.path) {
            let config = try readConfig(configURL)
            for name in specialTokenNames {
                switch config[name] {
                case nil, .null?: continue
                case .string(let token)?: specialTokens[name] = token
                case .object(let added)? where added["content"]?.stringValue != nil: specialTokens[name] = added["content"]!.stringValue!
                case let other?:
                    throw InputError("expected a string, an object with \"content\" or null, found \(other.typeName)",
                                     source: configURL.path, field: name)
                }
            }
            configured = config["chat_template"]
        }
        if FileManager.default.fileExists(atPath: jinjaURL.path) {
            guard let data = FileManager.default.contents(atPath: jinjaURL.path), let text = String(data: data, encoding: .utf8) else {
                throw InputError("cannot read the chat template as UTF-8 text", source: jinjaURL.path)
            }
            return ChatTemplate(main: try parse(text, source: jinjaURL.path, field: nil), toolUse: nil, specialTokens: specialTokens)
        }
        let field = "chat_template"
        switch configured {
        case nil, .null?:
            return nil
        case .string(let text)?:
            return ChatTemplate(main: try parse(text, source: configURL.path, field: field), toolUse: nil, specialTokens: specialTokens)
        case .array(let items)?:
            var named: [String: Located] = [:]
            for (index, item) in items.enumerated() {
                guard let name = item.objectValue?["name"]?.stringValue, let text = item.objectValue?["template"]?.stringValue else {
                    throw InputError("expected an object with string fields \"name\" and \"template\"", source: configURL.path,
                                     field: "\(field)[\(index)]")
                }
                named[name] = try parse(text, source: configURL.path, field: "\(field)[\(index)].template")
            }
            guard let main = named["default"] else {
                throw InputError("no template named \"default\" (names: \(named.keys.sorted().joined(separator: ", ")))",
                                 source: configURL.path, field: field)
            }
            return ChatTemplate(main: main, toolUse: named["tool_use"], specialTokens: specialTokens)
        case let other?:
            throw InputError("expected a string or a list of {\"name\", \"template\"} objects, found \(other.typeName)",
                             source: configURL.path, field: field)
        }
    }

    /// The chat template of the tokenizer files beside `tokenizerFile` (its directory's, as `load(from:)` reads them),
    /// else `fallback`.
    public static func beside(_ tokenizerFile: URL, else fallback: ChatTemplate) throws -> ChatTemplate {
        try load(from: tokenizerFile.deletingLastPathComponent()) ?? fallback
    }

    private static func readConfig(_ url: URL) throws -> [String: JSONValue] {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw InputError("cannot read the file", source: url.path) }
        let json: JSONValue
        do {
            json = try JSONValue.parse(data)
        } catch {
            throw InputError("\(error)", source: url.path)
        }
        guard let object = json.objectValue else { throw InputError("expected a JSON object, found \(json.typeName)", source: url.path) }
        return object
    }

    private static func parse(_ text: String, source: String, field: String?) throws -> Located {
        do {
            return Located(template: try JinjaTemplate(text), source: source, field: field)
        } catch let error as JinjaError {
            throw inputError(error, source: source, field: field)
        }
    }

    /// The error as an `InputError`: the line of a `.jinja` file as the file's line, else the template's line in the
    /// message beside the field.
    private static func inputError(_ error: JinjaError, source: String, field: String?) -> InputError {
        let message = (error.kind == .raised ? "raised by the template: " : "") + error.message
        guard let field else { return InputError(message, source: source, line: error.line) }
        return InputError((error.line.map { "template line \($0): " } ?? "") + message, source: source, field: field)
    }

    /// The prompt of `messages` (role and content each), opening the assistant's turn when `addGenerationPrompt`.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true, variables: [String: JinjaValue] = [:]) throws -> String {
        let chat = messages.map { message -> JinjaValue in ["role": .string(message.role), "content": .string(message.content)] }
        return try render(variables: variables.merging(["messages": .list(chat), "add_generation_prompt": .boolean(addGenerationPrompt)]) { $1 })
    }

    /// The template rendered with `variables` (apply_chat_template's `messages`, `tools`, `add_generation_prompt`
    /// and keyword arguments) over the defaults: `tools` and `documents` none, `add_generation_prompt` false, the
    /// special tokens. A message's reasoning is given under each of its names, as transformers does.
    public func render(variables: [String: JinjaValue]) throws -> String {
        var all: [String: JinjaValue] = ["tools": .none, "documents": .none, "add_generation_prompt": false]
        for (name, token) in specialTokens { all[name] = .string(token) }
        all.merge(variables) { $1 }
        if case .list(let messages)? = all["messages"] { all["messages"] = .list(messages.map(Self.aliasingReasoning)) }
        let chosen = toolUse.flatMap { all["tools"]?.equals(.none) == false ? $0 : nil } ?? main
        do {
            return try chosen.template.render(all)
        } catch let error as JinjaError {
            throw Self.inputError(error, source: chosen.source, field: chosen.field)
        }
    }

    /// transformers' `_alias_reasoning_fields`: a message whose `reasoning_content`, `thinking` or `reasoning` (the
    /// first that is not none) holds its reasoning gets it as `thinking` (first, unless the message has one) and
    /// `reasoning_content` (last, unless it has one), so that templates reading either name see it.
    private static func aliasingReasoning(_ message: JinjaValue) -> JinjaValue {
        guard case .dictionary(let fields) = message,
              let reasoning = ["reasoning_content", "thinking", "reasoning"].lazy.compactMap({ fields[$0] }).first(where: { !$0.equals(.none) })
        else { return message }
        var aliased = JinjaDictionary()
        aliased["thinking"] = reasoning
        for (key, value) in fields.items { aliased[key] = value }
        aliased["reasoning_content"] = reasoning
        return .dictionary(aliased)
    }
}
