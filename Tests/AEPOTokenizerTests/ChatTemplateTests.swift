import AEPOCore
import AEPOJinja
import AEPOTestSupport
import AEPOTokenizer
import XCTest

/// `ChatTemplate` against transformers: the real chat templates of Qwen3-0.6B, Qwen2.5-7B-Instruct,
/// Llama-3.3-70B-Instruct, Mixtral-8x7B-Instruct-v0.1 and Hermes-3-Llama-3.1-70B, read from their tokenizer files
/// under `Tests/Fixtures/chat-templates/`, must render every conversation exactly as `apply_chat_template` did
/// (`generators/make_chat_template_fixture.py`).
final class ChatTemplateTests: XCTestCase {
    private func json(_ path: String) throws -> JSONValue {
        try JSONValue.parse(try Data(contentsOf: Fixtures.url(path)))
    }

    func testRealTemplatesRenderAsTransformersDoes() throws {
        // Read in the file's key order, as Python reads it: the tool schemas' keys are not sorted.
        guard case .dictionary(let conversations) = try JinjaValue.parse(json: try Data(contentsOf: Fixtures.url("chat-templates/conversations.json"))),
              case .list(let items)? = conversations["cases"] else { return XCTFail("conversations.json: expected {\"cases\": […]}") }
        var cases: [String: JinjaDictionary] = [:]
        for case .dictionary(let item) in items { cases[item["name"]!.text] = item }
        let results = try json("chat-templates/expected.json").objectValue!["results"]!.arrayValue!
        XCTAssertEqual(results.count, 85)
        var templates: [String: ChatTemplate] = [:]
        for result in results.map({ $0.objectValue! }) {
            let model = result["model"]!.stringValue!, name = result["case"]!.stringValue!
            let template = try templates[model] ?? XCTUnwrap(try ChatTemplate.load(from: Fixtures.url("chat-templates/\(model)")), model)
            templates[model] = template
            let variables = Dictionary(uniqueKeysWithValues: cases[name]!.items.filter { $0.key != "name" }.map { ($0.key, $0.value) })
            if let expected = result["output"]?.stringValue {
                XCTAssertEqual(try template.render(variables: variables), expected, "\(model) \(name)")
            } else {
                let message = result["error"]!.objectValue!["message"]!.stringValue!
                XCTAssertThrowsError(try template.render(variables: variables), "\(model) \(name)") { error in
                    XCTAssert((error as? InputError)?.message.hasSuffix("raised by the template: " + message) == true, "\(model) \(name): \(error)")
                }
            }
        }
        XCTAssertEqual(templates.count, 5)
    }

    /// The agent's prompt rendered by Qwen3's own template is exactly the built-in ChatML text, so a Qwen3
    /// checkpoint's template changes nothing for the agent.
    func testQwen3RendersTheAgentPromptAsChatML() throws {
        let qwen3 = try XCTUnwrap(try ChatTemplate.load(from: Fixtures.url("chat-templates/qwen3-0.6b")))
        XCTAssertEqual(qwen3.specialTokens, ["eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"])
        for question in ["Who founded Lumo?", "  spaces, “quotes” and\nnewlines  ", ""] {
            let messages = [ChatMessage(role: "system", content: "Answer the question."), ChatMessage(role: "user", content: question)]
            let chatML = "<|im_start|>system\nAnswer the question.<|im_end|>\n<|im_start|>user\n\(question)<|im_end|>\n<|im_start|>assistant\n"
            XCTAssertEqual(try qwen3.render(messages), chatML)
            XCTAssertEqual(try ChatTemplate.chatML.render(messages), chatML)
        }
        XCTAssertEqual(try qwen3.render([ChatMessage(role: "user", content: "Hi")], variables: ["enable_thinking": false]),
                       "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n")
    }

    func testBuiltInTemplates() throws {
        let chat = [ChatMessage(role: "system", content: "S"), ChatMessage(role: "user", content: "U")]
        XCTAssertEqual(try ChatTemplate.chatML.render(chat, addGenerationPrompt: false), "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n")
        XCTAssertEqual(try ChatTemplate.transcript.render(chat), "system: S\nuser: U\nassistant:")
        let tokenizer = try Tokenizer(contentsOf: Fixtures.url("tokenizer-bytelevel-bpe/tokenizer.json"))
        XCTAssertEqual(ChatTemplate.fallback(for: tokenizer), .chatML)
        XCTAssertEqual(try ChatTemplate.beside(Fixtures.url("tokenizer-bytelevel-bpe/tokenizer.json"), else: .transcript), .transcript,
                       "a directory without a template falls back")
        XCTAssertNil(try ChatTemplate.load(from: Fixtures.url("tokenizer-bytelevel-bpe")))
    }

    /// `chat_template.jinja` wins over `tokenizer_config.json`'s template (as in transformers), special tokens may be
    /// written as added-token objects, and a named list's "default" is used unless tools are given.
    func testLoadingForms() throws {
        let directory = try Fixtures.temporaryDirectory("chat-template")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("tokenizer_config.json")
        try Data(#"{"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": null, "chat_template": "config {{ bos_token }}"}"#.utf8)
            .write(to: config)
        XCTAssertEqual(try ChatTemplate.load(from: directory)?.render([]), "config <s>")
        try Data("file {{ bos_token }}{{ eos_token is defined }}\n".utf8).write(to: directory.appendingPathComponent("chat_template.jinja"))
        XCTAssertEqual(try ChatTemplate.load(from: directory)?.render([]), "file <s>False")
        try FileManager.default.removeItem(at: directory.appendingPathComponent("chat_template.jinja"))
        try Data(#"{"chat_template": [{"name": "tool_use", "template": "tools {{ tools | length }}"}, {"name": "default", "template": "plain"}]}"#.utf8)
            .write(to: config)
        let named = try XCTUnwrap(try ChatTemplate.load(from: directory))
        XCTAssertEqual(try named.render([]), "plain")
        XCTAssertEqual(try named.render(variables: ["tools": [["type": "function"]]]), "tools 1")
    }

    func testBadTemplateFilesAreClearErrors() throws {
        let directory = try Fixtures.temporaryDirectory("chat-template")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("tokenizer_config.json")
        let cases: [(json: String, field: String?, message: String)] = [
            (#"{"chat_template": "line one\n{{ x | nofilter }}"}"#, "chat_template", "template line 2: no filter named 'nofilter'"),
            (#"{"chat_template": "{% for m in messages %}"}"#, "chat_template", "template line 1: unexpected end of template, expected 'else' or 'endfor'"),
            (#"{"chat_template": 3}"#, "chat_template", "expected a string or a list of {\"name\", \"template\"} objects, found integer"),
            (#"{"chat_template": [{"name": "tool_use", "template": "x"}]}"#, "chat_template", "no template named \"default\" (names: tool_use)"),
            (#"{"chat_template": [{"name": "default"}]}"#, "chat_template[0]", "expected an object with string fields \"name\" and \"template\""),
            (#"{"chat_template": [{"name": "default", "template": "{{ }}"}]}"#, "chat_template[0].template",
             "template line 1: expected an expression, got end of print statement"),
            (#"{"eos_token": 5, "chat_template": "x"}"#, "eos_token", "expected a string, an object with \"content\" or null, found integer"),
            (#"[]"#, nil, "expected a JSON object, found array"),
        ]
        for (json, field, message) in cases {
            try Data(json.utf8).write(to: config)
            XCTAssertThrowsError(try ChatTemplate.load(from: directory), json) { error in
                XCTAssertEqual(error as? InputError, InputError(message, source: config.path, field: field), json)
            }
        }
        try Data("{".utf8).write(to: config)
        XCTAssertThrowsError(try ChatTemplate.load(from: directory)) { error in
            XCTAssertEqual((error as? InputError)?.source, config.path)
        }

        // A .jinja file's errors carry the file's line; a render error names the line and the template's message.
        try Data("{}".utf8).write(to: config)
        let jinja = directory.appendingPathComponent("chat_template.jinja")
        try Data("one\ntwo {{ 'a' + }}".utf8).write(to: jinja)
        XCTAssertThrowsError(try ChatTemplate.load(from: directory)) { error in
            XCTAssertEqual(error as? InputError, InputError("expected an expression, got end of print statement", source: jinja.path, line: 2))
        }
        try Data("one\n{{ raise_exception('Only user and assistant roles are supported!') }}".utf8).write(to: jinja)
        let raising = try XCTUnwrap(try ChatTemplate.load(from: directory))
        XCTAssertThrowsError(try raising.render([ChatMessage(role: "tool", content: "x")])) { error in
            XCTAssertEqual(error as? InputError,
                           InputError("raised by the template: Only user and assistant roles are supported!", source: jinja.path, line: 2))
        }
    }
}
