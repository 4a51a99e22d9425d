import AEPOAgentTestSupport
import AEPOCore
import AEPOServe
import AEPOServeTestSupport
import XCTest

/// The HTTP API itself: bad input gets OpenAI-shaped 4xx errors and the server keeps serving; streaming,
/// choices and batching.
final class OpenAIServerTests: XCTestCase {
    private func errorMessage(_ body: String) throws -> (message: String, param: String?) {
        let error = try XCTUnwrap(JSONValue.parse(Array(body.utf8)).objectValue?["error"]?.objectValue, body)
        let message = try XCTUnwrap(error["message"]?.stringValue, body)
        XCTAssertNotNil(error["type"]?.stringValue, body)
        return (message, error["param"]?.stringValue)
    }

    func testBadRequestsGetOpenAIErrorsAndTheServerKeepsServing() async throws {
        let server = try await TestServer.start()
        let cases: [(String, String, Int, String?)] = [
            ("/v1/completions", "{not json", 400, nil),
            ("/v1/completions", "[1, 2]", 400, nil),
            ("/v1/completions", #"{"prompt": "hi"}"#, 400, "model"),
            ("/v1/completions", #"{"model": "tiny"}"#, 400, "prompt"),
            ("/v1/completions", #"{"model": "tiny", "prompt": 5}"#, 400, "prompt"),
            ("/v1/completions", #"{"model": "tiny", "prompt": [1, 99999]}"#, 400, "prompt"),
            ("/v1/completions", #"{"model": "tiny", "prompt": "hi", "max_tokens": "3"}"#, 400, "max_tokens"),
            ("/v1/completions", #"{"model": "tiny", "prompt": "hi", "max_tokens": 100000}"#, 400, "max_tokens"),
            ("/v1/completions", #"{"model": "tiny", "prompt": "hi", "max_tokens": 2.5}"#, 400, "max_tokens"),
            ("/v1/completions", #"{"model": "tiny", "prompt": "hi", "temperature": 3}"#, 400, "temperature"),
            ("/v1/completions", #"{"model": "tiny", "prompt": "hi", "top_p": 0}"#, 400, "top_p"),
            ("/v1/completions", #"{"model": "tiny", "prompt": "hi", "n": 0}"#, 400, "n"),
            ("/v1/completions", #"{"model": "tiny", "prompt": "hi", "stream": "yes"}"#, 400, "stream"),
            ("/v1/completions", #"{"model": "tiny", "prompt": "hi", "stop": [1]}"#, 400, "stop"),
            ("/v1/completions", #"{"model": "tiny", "prompt": "hi", "logprobs": 9999}"#, 400, "logprobs"),
            ("/v1/chat/completions", #"{"model": "tiny", "messages": []}"#, 400, "messages"),
            ("/v1/chat/completions", #"{"model": "tiny", "messages": [{"role": "wizard", "content": "hi"}]}"#, 400, "messages[0].role"),
            ("/v1/chat/completions", #"{"model": "tiny", "messages": [{"role": "user", "content": 3}]}"#, 400, "messages[0].content"),
            ("/v1/chat/completions", #"{"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "top_logprobs": 2}"#, 400, "top_logprobs"),
            ("/v1/completions", #"{"model": "other", "prompt": "hi"}"#, 404, "model"),
            ("/v1/nothing", "{}", 404, nil),
            ("/v1/completions", #"{"model": "tiny", "prompt": ""# + String(repeating: "a", count: 5000) + #""}"#, 413, nil),
        ]
        for (path, body, status, param) in cases {
            let reply = try await server.send(path, body: body)
            XCTAssertEqual(reply.status, status, "\(path) \(body.prefix(80)): \(reply.body)")
            let error = try errorMessage(reply.body)
            XCTAssertFalse(error.message.isEmpty)
            XCTAssertEqual(error.param, param, "\(body.prefix(80)): \(error.message)")
            // Still serving.
            let ok = try await server.send("/v1/completions", body: #"{"model": "tiny", "prompt": "Orsk", "max_tokens": 2}"#)
            XCTAssertEqual(ok.status, 200, ok.body)
        }
        let models = try await server.send("/v1/models", method: "GET")
        XCTAssertEqual(models.status, 200)
        XCTAssertTrue(models.body.contains(#""id":"tiny""#), models.body)
        await server.stop()
    }

    /// A prompt of numbers that are not token ids (a fraction, beyond 64 bits, out of the vocabulary) says ids must be
    /// integers in range and which one is not.
    func testPromptIdsMustBeIntegersInRange() async throws {
        let server = try await TestServer.start()
        let vocabulary = server.scheduler.engine.config.vocabSize
        for (prompt, found) in [("[9223372036854775808]", "0]: token ids must be integers in 0..<\(vocabulary), found 9.223372036854776e+18"),
                                ("[3, 1.5]", "1]: token ids must be integers in 0..<\(vocabulary), found 1.5"),
                                ("[3, -1]", "1]: token ids must be integers in 0..<\(vocabulary), found -1")] {
            let reply = try await server.send("/v1/completions", body: #"{"model": "tiny", "prompt": \#(prompt)}"#)
            XCTAssertEqual(reply.status, 400, reply.body)
            let error = try errorMessage(reply.body)
            XCTAssertEqual(error.param, "prompt")
            XCTAssertEqual(error.message, "prompt[" + found, prompt)
        }
        await server.stop()
    }

    /// Bytes that are no HTTP request (a garbage request line, a Content-Length of -5 or 10²⁰, a 100 KB header) get a
    /// 400 with OpenAI's error JSON, sent over raw TCP, and the server keeps serving.
    func testMalformedHTTPGetsOpenAIErrors() async throws {
        let server = try await TestServer.start()
        let post = "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        let cases: [(request: String, message: String)] = [
            ("GARBAGE GARBAGE\r\n\r\n", "malformed HTTP request"),
            ("\u{01}\u{02}\u{03} / HTTP/1.1\r\n\r\n", "malformed HTTP request"),
            (post + "Content-Length: -5\r\n\r\n{}", "the Content-Length header is not a valid length"),
            (post + "Content-Length: 100000000000000000000\r\n\r\n{}", "the Content-Length header is not a valid length"),
            (post + "X-Padding: " + String(repeating: "a", count: 100_000) + "\r\nContent-Length: 2\r\n\r\n{}",
             "exceed this server's limit of 81920 bytes"),
        ]
        for (request, message) in cases {
            let reply = try await server.sendRaw(Array(request.utf8))
            XCTAssertEqual(reply.status, 400, "\(request.prefix(60)): \(reply.body)")
            let error = try errorMessage(reply.body)
            XCTAssertTrue(error.message.contains(message), "\(request.prefix(60)): \(error.message)")
            let ok = try await server.send("/v1/completions", body: #"{"model": "tiny", "prompt": "Orsk", "max_tokens": 2}"#)
            XCTAssertEqual(ok.status, 200, ok.body)
        }
        await server.stop()
    }

    func testAFullServerAnswers429() async throws {
        let server = try await TestServer.start(limits: ServeLimits(maxConcurrentRequests: 0))
        let reply = try await server.send("/v1/completions", body: #"{"model": "tiny", "prompt": "hi"}"#)
        XCTAssertEqual(reply.status, 429)
        XCTAssertTrue(try errorMessage(reply.body).message.contains("limit"))
        await server.stop()
    }

    /// Streamed chunks add up to the non-streamed reply with the same seed; `n` choices of one seed are reproducible.
    func testStreamingMatchesTheWholeReplyAndSeedsReproduce() async throws {
        let server = try await TestServer.start()
        let chat = #"{"model": "tiny", "messages": [{"role": "user", "content": "Who founded Alba Works?"}], "max_tokens": 30, "seed": 4, "n": 3, "logprobs": true, "top_logprobs": 3"#
        let whole = try await server.send("/v1/chat/completions", body: chat + "}")
        XCTAssertEqual(whole.status, 200, whole.body)
        let again = try await server.send("/v1/chat/completions", body: chat + "}")
        let choices = { (body: String) in try XCTUnwrap(JSONValue.parse(Array(body.utf8)).objectValue?["choices"]?.arrayValue) }
        let first = try choices(whole.body), second = try choices(again.body)
        XCTAssertEqual(first.count, 3)
        XCTAssertEqual(first, second, "the same seed gives the same choices")
        let contents = first.map { $0.objectValue?["message"]?.objectValue?["content"]?.stringValue ?? "" }
        for choice in first {
            let tokens = try XCTUnwrap(choice.objectValue?["logprobs"]?.objectValue?["content"]?.arrayValue)
            XCTAssertFalse(tokens.isEmpty)
            for t in tokens {
                let top = try XCTUnwrap(t.objectValue?["top_logprobs"]?.arrayValue)
                XCTAssertEqual(top.count, 3)
                let lp = top.compactMap { $0.objectValue?["logprob"]?.doubleValue }
                XCTAssertEqual(lp, lp.sorted(by: >))
                XCTAssertLessThanOrEqual(t.objectValue!["logprob"]!.doubleValue!, lp[0] + 1e-6)
            }
        }

        let streamed = try await server.send("/v1/chat/completions", body: chat + #", "stream": true}"#)
        XCTAssertEqual(streamed.status, 200)
        let events = streamed.body.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        XCTAssertEqual(events.last, "data: [DONE]")
        var text = ["", "", ""]
        var finishes = 0
        for event in events.dropLast() {
            XCTAssertTrue(event.hasPrefix("data: "), event)
            let chunk = try JSONValue.parse(Array(event.dropFirst(6).utf8))
            let choice = try XCTUnwrap(chunk.objectValue?["choices"]?.arrayValue?.first?.objectValue)
            let index = try XCTUnwrap(choice["index"]?.intValue)
            text[index] += choice["delta"]?.objectValue?["content"]?.stringValue ?? ""
            if choice["finish_reason"]?.stringValue != nil { finishes += 1 }
        }
        XCTAssertEqual(text, contents)
        XCTAssertEqual(finishes, 3)
        await server.stop()
    }

    /// Stop strings end the text before them (or after, with `include_stop_str_in_output`), and concurrent
    /// requests share decode steps.
    func testStopStringsAndContinuousBatching() async throws {
        let server = try await TestServer.start()
        let body = #"{"model": "tiny", "prompt": "Who founded Alba Works?", "max_tokens": 60, "temperature": 1, "seed": 3, "skip_special_tokens": false"#
        let free = try await server.send("/v1/completions", body: body + "}")
        let full = try XCTUnwrap(JSONValue.parse(Array(free.body.utf8)).objectValue?["choices"]?.arrayValue?.first?.objectValue?["text"]?.stringValue)
        let stop = try XCTUnwrap(["</search>", "<search>", "<answer>"].first { full.contains($0) }, full)
        let cut = try await server.send("/v1/completions", body: body + #", "stop": ""# + stop + #""}"#)
        let kept = try JSONValue.parse(Array(cut.body.utf8)).objectValue?["choices"]?.arrayValue?.first?.objectValue
        XCTAssertEqual(kept?["text"]?.stringValue, String(full[..<full.range(of: stop)!.lowerBound]))
        XCTAssertEqual(kept?["finish_reason"]?.stringValue, "stop")
        let with = try await server.send("/v1/completions", body: body + #", "stop": ""# + stop + #"", "include_stop_str_in_output": true}"#)
        XCTAssertEqual(try JSONValue.parse(Array(with.body.utf8)).objectValue?["choices"]?.arrayValue?.first?.objectValue?["text"]?.stringValue,
                       String(full[..<full.range(of: stop)!.upperBound]))

        let before = server.scheduler.statistics
        try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<6 {
                group.addTask {
                    try await server.send("/v1/completions", body: #"{"model": "tiny", "prompt": "Orsk \#(i)", "max_tokens": 50, "temperature": 0}"#).status
                }
            }
            for try await status in group { XCTAssertEqual(status, 200) }
        }
        let after = server.scheduler.statistics
        let steps = after.decodeSteps - before.decodeSteps, rows = after.decodedChoices - before.decodedChoices
        XCTAssertGreaterThan(Double(rows) / Double(steps), 1.5, "concurrent requests share decode steps (\(rows) rows in \(steps) steps)")
        await server.stop()
    }
}
