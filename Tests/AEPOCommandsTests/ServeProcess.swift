import AEPOCore
import AEPOServe
import AEPOServeTestSupport
import Foundation

/// `aepo serve` in a child process (`CommandProcess`), on the free loopback port the kernel gives it (port 0; the
/// server prints the one it bound), answering `/v1/models`.
final class ServeProcess: FleetServer {
    let command: CommandProcess
    let url: String

    private init(command: CommandProcess, url: String) {
        self.command = command
        self.url = url
    }

    /// `aepo serve --model model --tokenizer tokenizer --enable-lora --lora-dir loraDirectory` within `limits`.
    static func start(model: URL, tokenizer: URL, loraDirectory: URL, limits: ServeLimits) async throws -> ServeProcess {
        let command = try CommandProcess([
            "serve", "--model", model.path, "--tokenizer", tokenizer.path, "--port", "0", "--enable-lora", "--lora-dir", loraDirectory.path,
            "--max-body-bytes", "\(limits.maxBodyBytes)", "--max-tokens", "\(limits.maxTokens)", "--max-prompt-tokens", "\(limits.maxPromptTokens)",
            "--max-concurrent", "\(limits.maxConcurrentRequests)", "--max-top-logprobs", "\(limits.maxTopLogprobs)",
        ])
        let port = try await offPool { try command.wait(for: #"aepo serve: '[^']*' on http://127\.0\.0\.1:([0-9]+)/v1"#) }
        let server = ServeProcess(command: command, url: "http://127.0.0.1:\(port)")
        let deadline = Date().addingTimeInterval(30)
        while await server.models().status != 200 {
            guard Date() < deadline else { throw CommandProcessError("\(server.url)/v1/models does not answer: \(command.output)") }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        return server
    }

    /// `GET /v1/models`: the status (0 while nothing answers) and the body.
    func models() async -> (status: Int, body: String) {
        (try? await TestServer.send("/v1/models", to: url, method: "GET")) ?? (0, "")
    }

    /// The names of the adapters the server has loaded (every model it lists after its base).
    func adapters() async throws -> [String] {
        let listed = try JSONValue.parse(Array(await models().body.utf8)).objectValue?["data"]?.arrayValue ?? []
        return listed.dropFirst().compactMap { $0.objectValue?["id"]?.stringValue }
    }

    /// Kills the server with SIGKILL (requests in flight are cut off, nothing is cleaned up) and waits until it is gone.
    func kill() {
        command.stop(SIGKILL)
    }
}
