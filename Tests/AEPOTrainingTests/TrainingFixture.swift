import AEPOAgent
import AEPOBenchmark
import AEPOCore
import AEPOModel
import AEPORollout
import AEPOTestSupport
@testable import AEPOTraining
import Foundation

/// A tiny benchmark directory (generated once per test process) and test-sized training settings.
enum TrainingFixture {
    static let benchmark: URL = {
        let url = try! Fixtures.temporaryDirectory("training-fixture").appendingPathComponent("bench")
        var configuration = BenchmarkConfiguration.small
        configuration.questions = SuiteSizes(train: 8, test: 2, testOOD: 2)
        configuration.suites = ["bridge"]
        configuration.vocabularySize = 320
        try! Benchmark.generate(seed: 5, configuration: configuration).write(to: url)
        return url
    }()

    /// A 1-layer Qwen3 of width 16, two questions of k = 4 per step, short responses.
    static func settings(run: URL) -> [String] {
        ["data.benchmark=\(benchmark.path)", "trainer.run_dir=\(run.path)",
         "model.hidden_size=16", "model.intermediate_size=32", "model.num_layers=1", "model.num_heads=2", "model.num_kv_heads=1",
         "model.head_dim=8", "model.max_positions=256",
         "sft.steps=4", "sft.batch_size=2", "sft.warmup_steps=1",
         "trainer.steps=4", "data.train_batch_size=2", "actor.ppo_mini_batch_size=1", "rollout.n=4", "rollout.initial_rollouts=2",
         "rollout.response_length=24", "rollout.max_tool_calls=2", "actor.optim.lr=1e-3", "trainer.micro_batch_size=3",
         "trainer.log_freq=100"]
    }

    /// The first two training questions of `trainer` rolled out by the native engine over its model at `temperature`,
    /// with the trainer's rollout settings and seed `seed`.
    static func rollout(_ trainer: Trainer, temperature: Float = 1, seed: UInt64 = 4) throws -> RolloutBatch {
        let rollout = trainer.config.algorithm.rollout
        let agent = AgentLoop(backend: NativeSampler(engine: try InferenceEngine(model: trainer.model),
                                                     sampling: SamplingSettings(temperature: temperature)),
                              tokenizer: trainer.tokenizer, environment: trainer.benchmark.environment, settings: rollout.agentSettings)
        return try Rollout(agent: agent, settings: rollout.rolloutSettings)
            .run(Array(trainer.questions.prefix(2)), generator: SeededGenerator(seed: seed))
    }
}
