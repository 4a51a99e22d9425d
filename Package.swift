// swift-tools-version: 6.0
import PackageDescription

// The numeric kernels need fused multiply-add: a baseline x86-64 build turns every
// `SIMD.addingProduct` into a call to `fmaf` per lane and runs GEMM 100× slower.
// Haswell (AVX2 + FMA) is the oldest x86 CPU we target; other architectures build as they are.
#if arch(x86_64)
let cpuSettings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
#else
let cpuSettings: [SwiftSetting] = []
#endif

let settings: [SwiftSetting] = cpuSettings + [.swiftLanguageMode(.v5)]

// The AVX-512 register tile is compiled for AVX-512 in a module of its own, which the GEMM calls only on CPUs that
// have it (`GemmKernel`).
#if arch(x86_64)
let avx512Settings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "skylake-avx512"]), .swiftLanguageMode(.v5)]
#else
let avx512Settings: [SwiftSetting] = settings
#endif

let package = Package(
    name: "aepo",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "aepo", targets: ["aepo"]),
        .library(name: "AEPOModel", targets: ["AEPOModel"]),
        .library(name: "AEPOAgent", targets: ["AEPOAgent"]),
        .library(name: "AEPORollout", targets: ["AEPORollout"]),
        .library(name: "AEPOTraining", targets: ["AEPOTraining"]),
        .library(name: "AEPOEvaluation", targets: ["AEPOEvaluation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // Seeded randomness, atomic file writes, input errors, JSON Lines: shared by every layer.
        .target(name: "AEPOCore", swiftSettings: settings),
        // GEMM, thread pool, vectorised math and the per-layer forward/backward kernels (large buffers from AEPOCore).
        .target(name: "AEPOKernels", dependencies: ["AEPOCore", "AEPOKernelsAVX512"], swiftSettings: settings),
        // The packed GEMM's 12×16 register tile, compiled for AVX-512 (called only where the CPU has it).
        .target(name: "AEPOKernelsAVX512", swiftSettings: avx512Settings),
        // Qwen3: config, safetensors, parameters, forward/backward, KV cache, sampler.
        .target(name: "AEPOModel", dependencies: ["AEPOKernels", "AEPOCore"], swiftSettings: settings),
        // A Jinja interpreter that renders chat templates as transformers' apply_chat_template does.
        .target(name: "AEPOJinja", dependencies: ["AEPOCore"], swiftSettings: settings),
        // Byte-level BPE: Hugging Face tokenizer.json load/save, training; the checkpoint's chat template.
        .target(name: "AEPOTokenizer", dependencies: ["AEPOJinja", "AEPOCore"], swiftSettings: settings),
        // Tool protocol, search (BM25), page reader, calculator, trajectory format, reward.
        .target(name: "AEPOTools", dependencies: ["AEPOCore"], swiftSettings: settings),
        // The built-in deep-search benchmark: world, corpus, suites, SFT demonstrations.
        .target(name: "AEPOBenchmark", dependencies: ["AEPOTools", "AEPOTokenizer", "AEPOCore"], swiftSettings: settings),
        // The agent turn loop over a sampling backend: segments, tool calls, <result> blocks, trajectories.
        .target(name: "AEPOAgent", dependencies: ["AEPOModel", "AEPOTokenizer", "AEPOTools", "AEPOCore"], swiftSettings: settings),
        // Rollout strategies: independent, ARPO tree, AEPO tree (pre-monitoring, branch penalty).
        .target(name: "AEPORollout", dependencies: ["AEPOAgent", "AEPOTools", "AEPOCore"], swiftSettings: settings),
        // Advantage estimators, policy losses, algorithm presets.
        .target(name: "AEPOAlgorithms", dependencies: ["AEPORollout", "AEPOAgent", "AEPOCore"], swiftSettings: settings),
        // Optimizer, schedules, trainer loops, checkpoints, metrics, YAML/JSON configuration files.
        .target(
            name: "AEPOTraining",
            dependencies: [
                "AEPOAlgorithms", "AEPORollout", "AEPOAgent", "AEPOBenchmark", "AEPOTools", "AEPOTokenizer", "AEPOModel", "AEPOKernels", "AEPOCore",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: settings
        ),
        // Pass@k, suite summaries, the paper's analyses over training logs, TensorBoard event files, reports.
        .target(
            name: "AEPOEvaluation",
            dependencies: ["AEPOTraining", "AEPORollout", "AEPOAgent", "AEPOBenchmark", "AEPOTools", "AEPOTokenizer", "AEPOModel", "AEPOCore"],
            swiftSettings: settings
        ),
        // OpenAI-compatible HTTP server over the native engine with continuous batching.
        .target(
            name: "AEPOServe",
            dependencies: [
                "AEPOAgent", "AEPOModel", "AEPOTokenizer", "AEPOJinja", "AEPOCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            swiftSettings: settings
        ),
        // The agent's sampling backend over any OpenAI-compatible /v1/completions endpoint.
        .target(
            name: "AEPORemote",
            dependencies: [
                "AEPOAgent", "AEPOModel", "AEPOCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: settings
        ),
        // The `aepo` subcommands (a library so tests can run them in-process).
        .target(
            name: "AEPOCommands",
            dependencies: [
                "AEPOCore", "AEPOKernels", "AEPOModel", "AEPOTokenizer", "AEPOTools",
                "AEPOBenchmark", "AEPOAgent", "AEPORollout", "AEPOAlgorithms", "AEPOTraining", "AEPOEvaluation",
                "AEPOServe", "AEPORemote",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: settings
        ),
        .executableTarget(name: "aepo", dependencies: ["AEPOCommands"], swiftSettings: settings),

        // Shared test helpers: fixture paths, finite differences, tolerances, seeded byte mutations.
        .target(name: "AEPOTestSupport", dependencies: ["AEPOCore"], path: "Tests/AEPOTestSupport", swiftSettings: settings),
        .testTarget(name: "AEPOCoreTests", dependencies: ["AEPOCore", "AEPOTestSupport"], swiftSettings: settings),
        .testTarget(name: "AEPOKernelsTests", dependencies: ["AEPOKernels", "AEPOKernelsAVX512", "AEPOCore", "AEPOTestSupport"], swiftSettings: settings),
        .testTarget(name: "AEPOModelTests", dependencies: ["AEPOModel", "AEPOCore", "AEPOTestSupport"], swiftSettings: settings),
        .testTarget(name: "AEPOJinjaTests", dependencies: ["AEPOJinja", "AEPOCore", "AEPOTestSupport"], swiftSettings: settings),
        .testTarget(name: "AEPOTokenizerTests", dependencies: ["AEPOTokenizer", "AEPOJinja", "AEPOCore", "AEPOTestSupport"], swiftSettings: settings),
        .testTarget(name: "AEPOToolsTests", dependencies: ["AEPOTools", "AEPOCore"], swiftSettings: settings),
        .testTarget(name: "AEPOBenchmarkTests", dependencies: ["AEPOBenchmark", "AEPOTools", "AEPOTokenizer", "AEPOCore", "AEPOTestSupport"], swiftSettings: settings),
        // A tiny tokenizer, corpus, questions, a scripted sampling backend and policies, and a tool-prone random Qwen3 for
        // agent-level tests.
        .target(
            name: "AEPOAgentTestSupport",
            dependencies: ["AEPOAgent", "AEPOTools", "AEPOTokenizer", "AEPOModel", "AEPOCore"],
            path: "Tests/AEPOAgentTestSupport",
            swiftSettings: settings
        ),
        // `aepo serve` started in-process on a loopback port, for the tests that talk to servers.
        .target(
            name: "AEPOServeTestSupport",
            dependencies: [
                "AEPOServe", "AEPOAgentTestSupport", "AEPOModel", "AEPOCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/AEPOServeTestSupport",
            swiftSettings: settings
        ),
        .testTarget(name: "AEPOAgentTests", dependencies: ["AEPOAgent", "AEPOAgentTestSupport", "AEPOTools", "AEPOCore"], swiftSettings: settings),
        .testTarget(name: "AEPORolloutTests", dependencies: ["AEPORollout", "AEPOAgent", "AEPOAgentTestSupport", "AEPOBenchmark", "AEPOTools", "AEPOModel", "AEPOCore", "AEPOTestSupport"], swiftSettings: settings),
        .testTarget(name: "AEPOAlgorithmsTests", dependencies: ["AEPOAlgorithms", "AEPORollout", "AEPOCore", "AEPOTestSupport"], swiftSettings: settings),
        .testTarget(name: "AEPOTrainingTests", dependencies: ["AEPOTraining", "AEPOAlgorithms", "AEPOBenchmark", "AEPORollout", "AEPOAgent", "AEPOModel", "AEPOTools", "AEPOCore", "AEPOTestSupport"], swiftSettings: settings),
        .testTarget(name: "AEPOEvaluationTests", dependencies: ["AEPOEvaluation", "AEPOTraining", "AEPOBenchmark", "AEPORollout", "AEPOAgent", "AEPOTools", "AEPOCore", "AEPOTestSupport"], swiftSettings: settings),
        .testTarget(
            name: "AEPOServeTests",
            dependencies: [
                "AEPOServe", "AEPORemote", "AEPORollout", "AEPOAgent", "AEPOAgentTestSupport", "AEPOServeTestSupport", "AEPOModel",
                "AEPOCore", "AEPOTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: settings
        ),
        .testTarget(name: "AEPOCommandsTests", dependencies: ["AEPOCommands", "AEPOEvaluation", "AEPOTraining", "AEPOAlgorithms", "AEPORollout", "AEPOAgent", "AEPOBenchmark", "AEPOAgentTestSupport", "AEPOServe", "AEPORemote", "AEPOServeTestSupport", "AEPOModel", "AEPOCore", "AEPOTestSupport"], swiftSettings: settings),
    ]
)
