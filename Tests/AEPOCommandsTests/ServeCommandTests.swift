@testable import AEPOCommands
import AEPOCore
import AEPOKernels
import AEPOModel
import AEPOTestSupport
import Foundation
import XCTest

/// `aepo serve`'s model loading: a config that does not fit in memory is refused before anything is allocated, its KV cache
/// counted at the size of `--kv-cache-dtype` and its workspace at `--max-num-batched-tokens`.
final class ServeCommandTests: XCTestCase {
    func testAModelTooLargeForMemoryIsRefusedNotAborted() throws {
        let directory = try Fixtures.temporaryDirectory("serve-too-large")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = Qwen3Config(vocabSize: 1 << 22, hiddenSize: 1 << 16, intermediateSize: 1 << 18, numHiddenLayers: 64,
                                 numAttentionHeads: 64, numKeyValueHeads: 8, headDim: 128)
        let configURL = directory.appendingPathComponent("config.json")
        try config.jsonData().write(to: configURL)
        let tokenizer = Fixtures.url("tokenizer-bytelevel-bpe/tokenizer.json").path
        for arguments in [["--random-config", configURL.path, "--tokenizer", tokenizer], ["--model", directory.path]] {
            XCTAssertThrowsError(try ServeCommand.parse(arguments).weights()) {
                let error = $0 as? InputError
                XCTAssertEqual(error?.source, configURL.path)
                for text in ["serving this model needs about", "packed weights", "KV cache of 1 × 1024 tokens", "this process can have",
                             "serve a smaller model, or lower --max-prompt-tokens (8192) and --max-tokens (1024)"] {
                    XCTAssertTrue(error?.message.contains(text) ?? false, "\(arguments[0]): \($0)")
                }
            }
        }
        // An int8 cache is counted at its size: 1,024 positions of 64 layers, a key and a value row of 8 · 128 bytes and
        // 8 scales each.
        XCTAssertThrowsError(try ServeCommand.parse(["--random-config", configURL.path, "--tokenizer", tokenizer,
                                                     "--kv-cache-dtype", "int8"]).weights()) {
            let bytes = MemoryLimit.text(Double(1024 * 64 * 2 * (8 * 128 + 8 * 4)))
            XCTAssertTrue("\($0)".contains("KV cache of 1 × 1024 tokens in int8 \(bytes)"), "\($0)")
        }
        // Passes of 16 tokens: a workspace of 16 rows of 2 · 65,536 + 10,240 + 8,192 + 3 · 262,144 + 64 + 8 floats, and each
        // thread's attention scratch of 64 heads × 1,024 positions, counted twice.
        XCTAssertThrowsError(try ServeCommand.parse(["--random-config", configURL.path, "--tokenizer", tokenizer,
                                                     "--max-num-batched-tokens", "16"]).weights()) {
            let workspace = MemoryLimit.text(Double(16 * (2 * 65_536 + 10_240 + 8_192 + 3 * 262_144 + 64 + 8) * 4))
            XCTAssertTrue("\($0)".contains("decoding workspace \(workspace)"), "\($0)")
            XCTAssertTrue("\($0)".contains("attention scratch \(MemoryLimit.text(Double(2 * Parallel.threadCount * 64 * 1_024 * 4)))"),
                          "\($0)")
        }
    }

    /// The runtime LoRA API needs the directory it may read from, and replaces a start-up adapter.
    func testEnableLoraNeedsADirectoryAndNoStartUpAdapter() throws {
        XCTAssertThrowsError(try ServeCommand.parse(["--model", "m", "--enable-lora"])) {
            XCTAssertTrue(ServeCommand.message(for: $0).contains("--enable-lora needs --lora-dir DIR"), "\($0)")
        }
        XCTAssertThrowsError(try ServeCommand.parse(["--model", "m", "--enable-lora", "--lora-dir", "d", "--adapter", "a"])) {
            XCTAssertTrue(ServeCommand.message(for: $0).contains("with --enable-lora load adapters at run time instead"), "\($0)")
        }
        XCTAssertNoThrow(try ServeCommand.parse(["--model", "m", "--enable-lora", "--lora-dir", "d"]))
    }
}
