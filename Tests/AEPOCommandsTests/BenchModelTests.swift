@testable import AEPOCommands
import AEPOCore
import AEPOModel
import AEPOTestSupport
import ArgumentParser
import Foundation
import XCTest

/// `aepo bench --model DIR` on a tiny Hugging Face directory: every workload's figures under their keys (each workload
/// run here in this process instead of a child), one workload alone with `--workload`, and bad input refused with the
/// file, field or option named.
final class BenchModelTests: XCTestCase {
    let tiny = Fixtures.url("qwen3-tiny-a").path
    let shape = ["--batch", "2", "--length", "8", "--decode-batch", "1", "--decode-batch", "3", "--prompt-length", "4",
                 "--new-tokens", "3", "--repeat", "1", "--warmup", "0"]

    func command(_ arguments: [String]) throws -> Bench {
        try Bench.parse(["--model", tiny] + shape + arguments)
    }

    func testEveryWorkloadReportsSpeedAndPeakMemory() throws {
        let bench = try command(["--lora", "2", "--activation-checkpointing"])
        var run: [String] = []
        let report = try bench.modelReport(directory: tiny) { workload in
            run.append(workload.name)
            return try bench.modelBench(directory: self.tiny).measure(workload)
        }
        XCTAssertEqual(run, ["prefill", "decode-1", "decode-3", "train", "train-lora"])
        for key in ["prefill_tokens_per_s", "decode_tokens_per_s_batch1", "decode_tokens_per_s_batch3", "train_tokens_per_s",
                    "train_lora_tokens_per_s", "train_on_policy_tokens_per_s", "train_lora_on_policy_tokens_per_s", "prefill_peak_rss_mb", "decode_peak_rss_mb_batch1", "decode_peak_rss_mb_batch3",
                    "train_peak_rss_mb", "train_lora_peak_rss_mb", "load_peak_rss_mb", "peak_rss_mb"] {
            XCTAssertGreaterThan(try XCTUnwrap(report[key] as? Double, key), 0, key)
        }
        for key in ["train", "train_lora"] {
            // The on-policy update is the step without its old log-probs' pass: never slower.
            XCTAssertGreaterThanOrEqual(try XCTUnwrap(report["\(key)_on_policy_tokens_per_s"] as? Double),
                                        try XCTUnwrap(report["\(key)_tokens_per_s"] as? Double), key)
        }
        XCTAssertTrue(["base", "avx512"].contains(try XCTUnwrap(report["gemm_kernel"] as? String)))
        XCTAssertEqual(report["parameters"] as? Double, Double(ParameterLayout(config: try Qwen3Config.load(
            from: Fixtures.url("qwen3-tiny-a/config.json"))).totalCount))
    }

    /// An all-BF16 checkpoint is measured as `aepo serve`, `aepo eval` and a LoRA run hold it: inference and the LoRA base
    /// in bfloat16 (and so estimated), full fine-tuning in float32.
    func testAllBF16CheckpointKeepsItsFrozenWeightsInBFloat16() throws {
        let bf16 = Fixtures.url("qwen3-tiny-bf16").path
        let bench = try Bench.parse(["--model", bf16, "--lora", "2"] + shape).modelBench(directory: bf16)
        XCTAssertEqual(bench.frozenStorage, .bfloat16)
        XCTAssertEqual(try command([]).modelBench(directory: tiny).frozenStorage, .float32)
        let decode = ModelWorkload.decode(batch: 3).estimate(bench).estimate
        XCTAssertEqual(decode.storage, .bfloat16)
        XCTAssertEqual(ModelWorkload.train.estimate(bench).estimate.storage, .float32)
        for workload in bench.workloads {
            let figures = try bench.measure(workload)
            XCTAssertGreaterThan(try XCTUnwrap(figures[workload.peakKey] as? Double), 0, workload.name)
        }
    }

    /// What a child prints: its workload's figures only.
    func testOneWorkloadAlone() throws {
        let figures = try command(["--workload", "decode-3"]).modelReport(directory: tiny)
        XCTAssertEqual(Set(figures.keys), ["decode_tokens_per_s_batch3", "decode_peak_rss_mb_batch3", "load_peak_rss_mb", "warnings"])
        let only = try command(["--only", "train"]).modelBench(directory: tiny)
        XCTAssertEqual(only.workloads, [.train])
    }

    func testBadInputNamesWhatIsWrong() throws {
        let directory = try Fixtures.temporaryDirectory("bench-model")
        defer { try? FileManager.default.removeItem(at: directory) }
        func error(_ arguments: [String], model: String? = nil) throws -> String {
            let bench = try Bench.parse(["--model", model ?? tiny] + arguments)
            XCTAssertThrowsError(try bench.modelBench(directory: model ?? tiny))
            do { _ = try bench.modelBench(directory: model ?? tiny) } catch { return "\(error)" }
            return ""
        }
        XCTAssertTrue(try error([], model: directory.path).contains("no config.json"))
        let llama = try String(contentsOf: Fixtures.url("qwen3-tiny-a/config.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"qwen3\"", with: "\"llama\"")
        try llama.write(to: directory.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let wrongType = try error([], model: directory.path)
        XCTAssertTrue(wrongType.contains("model_type") && wrongType.contains("config.json"), wrongType)
        let zero = try error(["--lora", "0"])
        XCTAssertTrue(zero.contains("--lora") && zero.contains("positive"), zero)
        let large = try error(["--lora", "1000"])
        XCTAssertTrue(large.contains("--lora") && large.contains("at most"), large)
        XCTAssertTrue(try error(["--lora", "2", "--lora-targets", "qkv"]).contains("--lora-targets"))
        XCTAssertTrue(try error(["--length", "500"]).contains("max_position_embeddings"))
        XCTAssertThrowsError(try Bench.parse(["--model", tiny, "--only", "gemm"]))
        XCTAssertThrowsError(try Bench.parse(["--lora", "4"]), "--lora needs --model")

        let bench = try command(["--lora", "2", "--only", "train"]).modelBench(directory: tiny)
        XCTAssertThrowsError(try bench.checkMemory(against: MemoryLimit(bytes: 200_000, source: "a test limit"))) { error in
            XCTAssertTrue("\(error)".contains("the train workload needs about") && "\(error)".contains("--activation-checkpointing"),
                          "\(error)")
        }
    }

    /// `--kv-cache-dtype` reaches the decoding workloads, is reported, and sizes the KV cache in the memory estimate: at
    /// the tiny model's shape (2 layers, 2 key-value heads of 8) a position takes 2 · 2 · 16 · 4 = 256 bytes in float32
    /// and 2 · 2 · (16 + 2 · 4) = 96 in int8, its scales included; 3 sequences of 4 + 3 tokens, 21 positions.
    func testKVCacheDataTypeIsEstimatedAtItsSizeAndReported() throws {
        func cacheBytes(_ arguments: [String]) throws -> Double {
            let bench = try command(arguments).modelBench(directory: tiny)
            let parts = ModelWorkload.decode(batch: 3).estimate(bench).estimate.parts
            return try XCTUnwrap(parts.first { $0.name.hasPrefix("KV cache of 3 × 7 tokens") }).bytes
        }
        XCTAssertEqual(try cacheBytes([]), 21 * 256)
        XCTAssertEqual(try cacheBytes(["--kv-cache-dtype", "int8"]), 21 * 96)
        XCTAssertEqual(try cacheBytes(["--kv-cache-dtype", "bfloat16"]), 21 * 128)

        let bench = try command(["--kv-cache-dtype", "int8", "--only", "decode"])
        XCTAssertEqual(try bench.modelBench(directory: tiny).kvCacheDataType, .int8)
        let report = try bench.modelReport(directory: tiny) { try bench.modelBench(directory: self.tiny).measure($0) }
        XCTAssertEqual(report["kv_cache_dtype"] as? String, "int8")
        XCTAssertGreaterThan(try XCTUnwrap(report["decode_tokens_per_s_batch3"] as? Double), 0)
        XCTAssertThrowsError(try Bench.parse(["--kv-cache-dtype", "fp8"])) { error in
            let message = Bench.message(for: error)
            XCTAssertTrue(message.contains("--kv-cache-dtype") && message.contains("expected one of float32, bfloat16, int8"), message)
        }
    }

    /// `--max-num-batched-tokens` reaches the prefill and decoding workloads, is reported, and sizes their workspace in
    /// the memory estimate: the prefill of 2 × 8 tokens in passes of 5 holds 5 rows, 16 by default.
    func testPassSizeIsEstimatedAndReported() throws {
        func workspaceBytes(_ arguments: [String]) throws -> Double {
            let parts = ModelWorkload.prefill.estimate(try command(arguments).modelBench(directory: tiny)).estimate.parts
            return try XCTUnwrap(parts.first { $0.name == "decoding workspace" }).bytes
        }
        XCTAssertEqual(try workspaceBytes(["--max-num-batched-tokens", "5"]) * 16, try workspaceBytes([]) * 5)
        let bench = try command(["--max-num-batched-tokens", "5", "--only", "prefill", "--only", "decode"])
        XCTAssertEqual(try bench.modelBench(directory: tiny).maxTokensPerPass, 5)
        let report = try bench.modelReport(directory: tiny) { try bench.modelBench(directory: self.tiny).measure($0) }
        XCTAssertEqual(report["max_num_batched_tokens"] as? Int, 5)
        XCTAssertGreaterThan(try XCTUnwrap(report["prefill_tokens_per_s"] as? Double), 0)
        XCTAssertEqual(try command([]).modelReport(directory: tiny) { _ in [:] }["max_num_batched_tokens"] as? Int, 2048)
    }

    /// The busy-machine warning points to the `*_cputime` figures only where the report has them.
    func testBusyWarningNamesOnlyFiguresTheReportHas() throws {
        XCTAssertNil(SystemLoad.warning(reportsCPUTime: true, load: 2.4, processors: 2))
        let model = try XCTUnwrap(SystemLoad.warning(reportsCPUTime: false, load: 5, processors: 2))
        XCTAssertTrue(model.contains("load average 5.0 on 2 processors") && !model.contains("cputime"), model)
        XCTAssertTrue(try XCTUnwrap(SystemLoad.warning(reportsCPUTime: true, load: 5, processors: 2)).contains("*_cputime"))
    }

    /// `/proc/self/status` pads the figure with spaces after the tab only while it has fewer than 8 digits.
    func testPeakMemoryReadsEveryWidth() {
        XCTAssertEqual(PeakMemory.residentMegabytes(status: "VmPeak:\t 1 kB\nVmHWM:\t  524288 kB\n"), 512)
        XCTAssertEqual(PeakMemory.residentMegabytes(status: "VmHWM:\t11534336 kB\nVmRSS:\t 1 kB\n"), 11264)
    }
}
