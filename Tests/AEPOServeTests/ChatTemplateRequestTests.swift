import AEPOAgentTestSupport
import AEPOServe
import AEPOTestSupport
import AEPOTokenizer
import XCTest

/// `/v1/chat/completions` bodies rendered by a checkpoint's chat template (the real ones of `Tests/Fixtures/chat-templates`).
final class ChatTemplateRequestTests: XCTestCase {
    private let tokenizer = AgentFixture.tokenizer
    private let limits = ServeLimits(maxBodyBytes: 4096, maxTokens: 16, maxPromptTokens: 400, maxConcurrentRequests: 1, maxTopLogprobs: 5)

    private func request(_ body: String, _ model: String, limits: ServeLimits? = nil) throws -> GenerationRequest {
        let template = try XCTUnwrap(try ChatTemplate.load(from: Fixtures.url("chat-templates/\(model)")))
        return try GenerationRequest(body: Array(body.utf8), kind: .chat, tokenizer: tokenizer, template: template,
                                     config: ToolProneModel.config(maxPositions: 4096), limits: limits ?? self.limits)
    }

    func testMessagesAreRenderedByTheTemplateWithItsVariables() throws {
        let chat = #"{"model": "tiny", "messages": [{"role": "user", "content": "Orsk?"}]"#
        XCTAssertEqual(try request(chat + "}", "qwen3-0.6b").prompt, tokenizer.encode("<|im_start|>user\nOrsk?<|im_end|>\n<|im_start|>assistant\n"))
        XCTAssertEqual(try request(chat + #", "chat_template_kwargs": {"enable_thinking": false}}"#, "qwen3-0.6b").prompt,
                       tokenizer.encode("<|im_start|>user\nOrsk?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"))
        XCTAssertEqual(try request(chat + "}", "mixtral-8x7b-instruct-v0.1").prompt, tokenizer.encode("<s> [INST] Orsk? [/INST]"))
    }

    /// Every field of a message reaches the template as transformers passes it (Qwen3 shows the last assistant turn's
    /// `reasoning_content` in `<think>`), and `tools` in the order written (the schema's keys are not sorted). The
    /// expected texts are transformers 5.25's `apply_chat_template` of the same messages.
    func testMessageFieldsAndToolsReachTheTemplate() throws {
        let reasoning = #"{"model": "tiny", "messages": [{"role": "user", "content": "Orsk?"}, "#
            + #"{"role": "assistant", "reasoning_content": "Think.", "content": "Yes."}]}"#
        XCTAssertEqual(try request(reasoning, "qwen3-0.6b").prompt,
                       tokenizer.encode("<|im_start|>user\nOrsk?<|im_end|>\n<|im_start|>assistant\n<think>\nThink.\n</think>\n\nYes.<|im_end|>\n"
                                        + "<|im_start|>assistant\n"))
        let tools = #"{"model": "tiny", "messages": [{"role": "user", "content": "Orsk?"}], "tools": [{"type": "function", "#
            + #""function": {"name": "f", "parameters": {"type": "object", "properties": {}}, "description": "D"}}]}"#
        let prompt = try request(tools, "qwen3-0.6b", limits: ServeLimits(maxBodyBytes: 4096, maxTokens: 16, maxPromptTokens: 4096)).prompt
        XCTAssertEqual(prompt, tokenizer.encode("<|im_start|>system\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
                       + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
                       + #"{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}, "description": "D"}}"#
                       + "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n"
                       + "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n"
                       + "<|im_start|>user\nOrsk?<|im_end|>\n<|im_start|>assistant\n"))
        XCTAssertThrowsError(try request(#"{"model": "tiny", "messages": [{"role": "user", "content": "a"}], "tools": {}}"#, "qwen3-0.6b")) { error in
            XCTAssertEqual((error as? OpenAIError)?.param, "tools")
        }
    }

    func testATemplateThatRefusesTheChatIsA400() throws {
        let body = #"{"model": "tiny", "messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}"#
        XCTAssertThrowsError(try request(body, "mixtral-8x7b-instruct-v0.1")) { error in
            let refusal = error as? OpenAIError
            XCTAssertEqual(refusal?.status.code, 400)
            XCTAssertEqual(refusal?.param, "messages")
            XCTAssertEqual(refusal?.message, "the chat template failed: template line 11: raised by the template: "
                           + "After the optional system message, conversation roles must alternate user/assistant/user/assistant/...")
        }
        let notAnObject = #"{"model": "tiny", "messages": [{"role": "user", "content": "a"}], "chat_template_kwargs": [1]}"#
        XCTAssertThrowsError(try request(notAnObject, "qwen3-0.6b")) { error in
            XCTAssertEqual((error as? OpenAIError)?.param, "chat_template_kwargs")
        }
    }
}
