import AEPOAgentTestSupport
import AEPOCore
import AEPOModel
import AEPOServe
import AEPOServeTestSupport
import AEPOTestSupport
import Foundation
import XCTest

/// `aepo serve`'s runtime updates over loopback: vLLM's LoRA load/unload and SGLang's weight reload, the directory they
/// are confined to, and requests running across a swap.
final class RuntimeLoadingTests: XCTestCase {
    static let prompt = AgentFixture.tokenizer.encode("Who founded Alba Works?")

    /// An adapter of every module of the tool-prone model with random A and B (so that it changes the outputs).
    static func adapter(seed: UInt64, model config: Qwen3Config = ToolProneModel.config()) throws -> LoRAAdapter {
        let adapter = try LoRAAdapter(config: LoRAConfig(rank: 2, alpha: 4, targets: LoRATarget.allCases), model: config, seed: seed)
        var generator = SeededGenerator(seed: seed + 100)
        for i in adapter.parameters.indices { adapter.parameters[i] = 0.3 * (2 * generator.nextFloat() - 1) }
        return adapter
    }

    /// A directory for the server to load from, with the adapter of `seed` saved as `name`.
    static func directory(_ label: String) throws -> URL {
        try Fixtures.temporaryDirectory(label).resolvingSymlinksInPath()
    }

    /// A greedy completion of `prompt` by `model`: its tokens and the log-probs the server reports for them.
    static func complete(_ server: TestServer, model: String, maxTokens: Int = 12) async throws -> (tokens: [Int], logprobs: [Float]) {
        let body = #"{"model": "\#(model)", "prompt": \#(prompt), "max_tokens": \#(maxTokens), "temperature": 0, "logprobs": 1, "#
            + #""return_tokens_as_token_ids": true, "skip_special_tokens": false}"#
        let reply = try await server.send("/v1/completions", body: body)
        guard reply.status == 200 else { throw RemoteTestError("\(reply.status): \(reply.body)") }
        let logprobs = try XCTUnwrap(JSONValue.parse(Array(reply.body.utf8)).objectValue?["choices"]?.arrayValue?.first?
            .objectValue?["logprobs"]?.objectValue)
        let tokens = try XCTUnwrap(logprobs["tokens"]?.arrayValue).map { Int($0.stringValue!.dropFirst("token_id:".count))! }
        return (tokens, try XCTUnwrap(logprobs["token_logprobs"]?.arrayValue).map { Float($0.doubleValue!) })
    }

    /// The training forward's `log softmax(z)` of `tokens` after the prompt under `model`: an independent reference.
    static func reference(_ model: Qwen3Model, tokens: [Int]) throws -> [Float] {
        let sequence = prompt + tokens
        let targets = tokens.indices.map { TokenBatch.Target(sequence: 0, position: prompt.count + $0 - 1, token: tokens[$0]) }
        return try model.forward(TokenBatch(sequences: [sequence], targets: targets)).logProbs
    }

    static func assertClose(_ a: [Float], _ b: [Float], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, message, file: file, line: line)
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-4, message, file: file, line: line) }
    }

    func testAdaptersAreLoadedServedByNameAndUnloaded() async throws {
        let root = try Self.directory("lora-root")
        defer { try? FileManager.default.removeItem(at: root) }
        let adapter = try Self.adapter(seed: 1)
        try PEFTAdapterFormat.save(adapter, to: root.appendingPathComponent("policy-v1"), baseModel: "tiny")
        // Passes of 5 tokens: the adapter's engine runs them too, and the prompt's prefill takes several.
        let server = try await TestServer.start(maxTokensPerPass: 5, loading: try RuntimeLoading(directory: root.path, adapters: true))

        let load = try await server.send("/v1/load_lora_adapter", body: #"{"lora_name": "policy-v1", "lora_path": "\#(root.path)/policy-v1"}"#)
        XCTAssertEqual(load.status, 200, load.body)
        let served = server.scheduler.models
        XCTAssertIdentical(try XCTUnwrap(served.adapter("policy-v1")).engine.packed, served.base.packed,
                           "the adapter's engine shares the base's packed weights")
        let models = try await server.send("/v1/models", method: "GET")
        XCTAssertTrue(models.body.contains(#""id":"policy-v1""#) && models.body.contains(#""parent":"tiny""#), models.body)
        XCTAssertEqual(server.scheduler.models.adapter("policy-v1")?.engine.maxTokensPerPass, 5)

        // The adapter's name serves the adapted model, the base name the base (as the training forward computes them).
        let adapted = try await Self.complete(server, model: "policy-v1")
        let base = try await Self.complete(server, model: TestServer.modelName)
        let model = try ToolProneModel.make()
        Self.assertClose(base.logprobs, try Self.reference(model, tokens: base.tokens), "base")
        try model.attach(adapter)
        Self.assertClose(adapted.logprobs, try Self.reference(model, tokens: adapted.tokens), "adapter")
        let difference = try zip(Self.reference(model, tokens: base.tokens), base.logprobs).map { abs($0 - $1) }.max()!
        XCTAssertGreaterThan(difference, 1e-2, "the adapter changes the model")

        // A relative path starts at the directory; a name already loaded is refused.
        let again = try await server.send("/v1/load_lora_adapter", body: #"{"lora_name": "policy-v1", "lora_path": "policy-v1"}"#)
        XCTAssertEqual(again.status, 400, again.body)
        XCTAssertTrue(again.body.contains("has already been loaded"), again.body)
        let relative = try await server.send("/v1/load_lora_adapter", body: #"{"lora_name": "copy", "lora_path": "policy-v1"}"#)
        XCTAssertEqual(relative.status, 200, relative.body)

        let unload = try await server.send("/v1/unload_lora_adapter", body: #"{"lora_name": "policy-v1"}"#)
        XCTAssertEqual(unload.status, 200, unload.body)
        let gone = try await server.send("/v1/completions", body: #"{"model": "policy-v1", "prompt": "hi"}"#)
        XCTAssertEqual(gone.status, 404, gone.body)
        XCTAssertTrue(gone.body.contains("'tiny', 'copy'"), gone.body)
        let twice = try await server.send("/v1/unload_lora_adapter", body: #"{"lora_name": "policy-v1"}"#)
        XCTAssertEqual(twice.status, 404, twice.body)
        let copied = try await Self.complete(server, model: "copy")
        XCTAssertEqual(copied.tokens, adapted.tokens)
        await server.stop()
    }

    /// Paths outside the directory (absolute, `..`, a symbolic link out of it), nothing at the path, adapters of another
    /// shape or type, the base's name and missing fields: each a 4xx naming the field, and the server keeps serving.
    func testBadLoadsAreRefusedWithClearErrors() async throws {
        let root = try Self.directory("lora-refusals"), outside = try Self.directory("lora-outside")
        defer { for url in [root, outside] { try? FileManager.default.removeItem(at: url) } }
        try PEFTAdapterFormat.save(try Self.adapter(seed: 2), to: outside.appendingPathComponent("a"), baseModel: "tiny")
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("link"), withDestinationURL: outside.appendingPathComponent("a"))
        try PEFTAdapterFormat.save(try Self.adapter(seed: 3, model: ToolProneModel.config().widened()),
                                   to: root.appendingPathComponent("wide"), baseModel: "other")
        let typed = root.appendingPathComponent("prefix")
        try PEFTAdapterFormat.save(try Self.adapter(seed: 4), to: typed, baseModel: "tiny")
        let configURL = typed.appendingPathComponent("adapter_config.json")
        try String(contentsOf: configURL).replacingOccurrences(of: #""LORA""#, with: #""PREFIX_TUNING""#).write(to: configURL, atomically: true, encoding: .utf8)
        let server = try await TestServer.start(loading: try RuntimeLoading(directory: root.path, adapters: true))
        let cases: [(String, Int, String, String)] = [
            (#"{"lora_name": "x", "lora_path": "\#(outside.path)/a"}"#, 403, "lora_path", "outside the directory"),
            (#"{"lora_name": "x", "lora_path": "../\#(outside.lastPathComponent)/a"}"#, 403, "lora_path", "outside the directory"),
            (#"{"lora_name": "x", "lora_path": "link"}"#, 403, "lora_path", "outside the directory"),
            (#"{"lora_name": "x", "lora_path": "missing"}"#, 400, "lora_path", "does not exist"),
            (#"{"lora_name": "x", "lora_path": "wide"}"#, 400, "lora_path", "not an adapter of this model"),
            (#"{"lora_name": "x", "lora_path": "prefix"}"#, 400, "lora_path", "PREFIX_TUNING"),
            (#"{"lora_name": "tiny", "lora_path": "prefix"}"#, 400, "lora_name", "the base model's name"),
            (#"{"lora_path": "prefix"}"#, 400, "lora_name", "is required"),
        ]
        for (body, status, param, text) in cases {
            let reply = try await server.send("/v1/load_lora_adapter", body: body)
            XCTAssertEqual(reply.status, status, "\(body): \(reply.body)")
            let error = try XCTUnwrap(JSONValue.parse(Array(reply.body.utf8)).objectValue?["error"]?.objectValue)
            XCTAssertEqual(error["param"]?.stringValue, param, reply.body)
            XCTAssertTrue(error["message"]?.stringValue?.contains(text) == true, "\(body): \(reply.body)")
        }
        let models = try await server.send("/v1/models", method: "GET")
        XCTAssertFalse(models.body.contains(#""id":"x""#), models.body)
        let served = try await Self.complete(server, model: TestServer.modelName)
        XCTAssertEqual(served.tokens.count, 12)
        await server.stop()

        // Without --enable-lora (or --lora-dir) the endpoints are not there.
        let plain = try await TestServer.start(loading: try RuntimeLoading(directory: root.path, adapters: false))
        let absent = try await plain.send("/v1/load_lora_adapter", body: #"{"lora_name": "x", "lora_path": "prefix"}"#)
        XCTAssertEqual(absent.status, 404)
        await plain.stop()
        XCTAssertThrowsError(try RuntimeLoading(directory: root.appendingPathComponent("missing").path, adapters: true)) { error in
            XCTAssertEqual((error as? InputError)?.source, "--lora-dir")
        }
    }

    /// `/update_weights_from_disk` serves the new weights under the same name; a directory of another shape, one outside
    /// the allowed directory, or a reload while adapters are loaded is refused.
    func testWeightsAreReplacedFromDisk() async throws {
        let root = try Self.directory("weights-root")
        defer { try? FileManager.default.removeItem(at: root) }
        let replacement = try ToolProneModel.make(seed: 11)
        try Checkpoint.save(config: replacement.config, parameters: replacement.parameterValues, to: root.appendingPathComponent("step-1"))
        let other = try Qwen3Model(config: ToolProneModel.config().widened(), seed: 1)
        try Checkpoint.save(config: other.config, parameters: other.parameterValues, to: root.appendingPathComponent("wide"))
        try PEFTAdapterFormat.save(try Self.adapter(seed: 5), to: root.appendingPathComponent("a"), baseModel: "tiny")
        let server = try await TestServer.start(maxTokensPerPass: 5, loading: try RuntimeLoading(directory: root.path, adapters: true))

        let before = try await Self.complete(server, model: TestServer.modelName)
        let update = try await server.send("/update_weights_from_disk", body: #"{"model_path": "step-1"}"#)
        XCTAssertEqual(update.status, 200, update.body)
        XCTAssertEqual(server.scheduler.models.base.maxTokensPerPass, 5, "the new engine runs passes of the same size")
        XCTAssertTrue(update.body.contains(#""success":true"#), update.body)
        let after = try await Self.complete(server, model: TestServer.modelName)
        Self.assertClose(after.logprobs, try Self.reference(replacement, tokens: after.tokens), "the new weights")
        XCTAssertNotEqual(before.logprobs, after.logprobs)

        let wide = try await server.send("/update_weights_from_disk", body: #"{"model_path": "wide"}"#)
        XCTAssertEqual(wide.status, 400, wide.body)
        XCTAssertTrue(wide.body.contains("another shape"), wide.body)
        let outside = try await server.send("/update_weights_from_disk", body: #"{"model_path": "/tmp"}"#)
        XCTAssertEqual(outside.status, 403, outside.body)
        let loaded = try await server.send("/v1/load_lora_adapter", body: #"{"lora_name": "a", "lora_path": "a"}"#)
        XCTAssertEqual(loaded.status, 200)
        let busy = try await server.send("/update_weights_from_disk", body: #"{"model_path": "step-1"}"#)
        XCTAssertEqual(busy.status, 409, busy.body)
        Self.assertClose(try await Self.complete(server, model: TestServer.modelName).logprobs, after.logprobs, "unchanged")
        await server.stop()
    }

    /// A request running when its adapter is unloaded, or when the base weights are replaced, finishes on the weights it
    /// started with: its tokens are those of a run without any swap.
    func testRequestsRunningAcrossASwapFinishOnTheirWeights() async throws {
        let root = try Self.directory("swap-root")
        defer { try? FileManager.default.removeItem(at: root) }
        try PEFTAdapterFormat.save(try Self.adapter(seed: 6), to: root.appendingPathComponent("a"), baseModel: "tiny")
        let replacement = try ToolProneModel.make(seed: 12)
        try Checkpoint.save(config: replacement.config, parameters: replacement.parameterValues, to: root.appendingPathComponent("w"))
        let server = try await TestServer.start(loading: try RuntimeLoading(directory: root.path, adapters: true))
        let loaded = try await server.send("/v1/load_lora_adapter", body: #"{"lora_name": "a", "lora_path": "a"}"#)
        XCTAssertEqual(loaded.status, 200)

        /// Eight long greedy choices of `model` keep the engine busy while `swap` runs; each must equal a lone completion
        /// made before the swap.
        func check(_ model: String, across swap: String, _ body: String) async throws {
            let expected = try await Self.complete(server, model: model, maxTokens: 150)
            let request = #"{"model": "\#(model)", "prompt": \#(Self.prompt), "max_tokens": 150, "temperature": 0, "n": 8, "#
                + #""logprobs": 1, "return_tokens_as_token_ids": true, "skip_special_tokens": false}"#
            async let running = server.send("/v1/completions", body: request)
            var steps = server.scheduler.statistics.decodeSteps
            while server.scheduler.statistics.decodeSteps == steps { try await Task.sleep(nanoseconds: 100_000) }
            let swapped = try await server.send(swap, body: body)
            XCTAssertEqual(swapped.status, 200, swapped.body)
            steps = server.scheduler.statistics.decodeSteps
            let reply = try await running
            XCTAssertGreaterThan(server.scheduler.statistics.decodeSteps, steps, "\(swap): the request was still running after it")
            XCTAssertEqual(reply.status, 200, reply.body)
            let choices = try XCTUnwrap(JSONValue.parse(Array(reply.body.utf8)).objectValue?["choices"]?.arrayValue)
            XCTAssertEqual(choices.count, 8)
            for choice in choices {
                let tokens = try XCTUnwrap(choice.objectValue?["logprobs"]?.objectValue?["tokens"]?.arrayValue)
                    .map { Int($0.stringValue!.dropFirst("token_id:".count))! }
                XCTAssertEqual(tokens, expected.tokens, "\(swap): the old weights' tokens")
            }
        }
        try await check("a", across: "/v1/unload_lora_adapter", #"{"lora_name": "a"}"#)
        let unloaded = try await server.send("/v1/completions", body: #"{"model": "a", "prompt": "hi"}"#)
        XCTAssertEqual(unloaded.status, 404)
        let before = try await Self.complete(server, model: TestServer.modelName)
        try await check(TestServer.modelName, across: "/update_weights_from_disk", #"{"model_path": "w"}"#)
        let after = try await Self.complete(server, model: TestServer.modelName)
        Self.assertClose(after.logprobs, try Self.reference(replacement, tokens: after.tokens), "new requests get the new weights")
        XCTAssertNotEqual(before.logprobs, after.logprobs)
        XCTAssertEqual(server.scheduler.engine.cache.blocksInUse, 0)
        await server.stop()
    }
}

extension Qwen3Config {
    /// The same model with twice the hidden size: a shape no adapter or checkpoint of the original fits.
    func widened() -> Qwen3Config {
        var wide = self
        wide.hiddenSize *= 2
        return wide
    }
}
