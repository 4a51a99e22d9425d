import AEPOAgentTestSupport
import AEPOServe
import AEPOTestSupport
import AEPOTokenizer
import XCTest

/// `/v1/chat/completions` bodies rendered by a checkpoint's chat template (the real ones of `Tests/Fixtures/chat-templates`).
final class ChatTemplateRequestTests: XCTestCase {
    private let tokenizer = AgentFixture.tokenizer
    private let limits = ServeLimits(maxBodyBytes: 4096, maxTokens: 16, maxPromptTokens: 400, maxConcurrentRequests: 1, maxTopLogprobs: 5)

    private func request(_ body: String, _ model: String) throws -> GenerationRequest {
        let template = try XCTUnwrap(try ChatTemplate.load(from: Fixtures.url("chat-templates/\(model)")))
        return try GenerationRequest(body: Array(body.utf8), kind: .chat, tokenizer: tokenizer, template: template,
                                     config: ToolProneModel.config(), limits: limits)
    }

    func testMessagesAreRenderedByTheTemplateWithItsVariables() throws {
        let chat = #"{"model": "tiny", "messages": [{"role": "user", "content": "Orsk?"}]"#
        XCTAssertEqual(try request(chat + "}", "qwen3-0.6b").prompt, tokenizer.encode("<|im_start|>user\nOrsk?<|im_end|>\n<|im_start|>assistant\n"))
        XCTAssertEqual(try request(chat + #", "chat_template_kwargs": {"enable_thinking": false}}"#, "qwen3-0.6b").prompt,
                       tokenizer.encode("<|im_start|>user\nOrsk?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"))
        XCTAssertEqual(try request(chat + "}", "mixtral-8x7b-instruct-v0.1").prompt, tokenizer.encode("<s> [INST] Orsk? [/INST]"))
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
