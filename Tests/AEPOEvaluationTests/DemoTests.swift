import AEPOBenchmark
import AEPOEvaluation
import AEPOTestSupport
import XCTest

/// The demo pipeline end to end at test size: benchmark, SFT, AEPO, both evaluated, summary written.
final class DemoTests: XCTestCase {
    func testDemoRunsEveryPhaseAndWritesTheSummary() throws {
        let directory = try Fixtures.temporaryDirectory("demo")
        defer { try? FileManager.default.removeItem(at: directory) }
        var budget = ExperimentBudget.demo
        budget.benchmark = BenchmarkConfiguration.small
        budget.benchmark.questions = SuiteSizes(train: 6, test: 2, testOOD: 1)
        budget.benchmark.suites = ["bridge"]
        budget.benchmark.vocabularySize = 300
        budget.evaluationRuns = 2
        budget.ks = [1, 2]
        let tiny = ["model.hidden_size=16", "model.intermediate_size=32", "model.num_layers=1", "model.num_heads=2", "model.num_kv_heads=1",
                    "model.head_dim=8", "model.max_positions=256", "sft.steps=2", "sft.batch_size=2", "trainer.steps=1",
                    "data.train_batch_size=2", "actor.ppo_mini_batch_size=1", "rollout.n=2", "rollout.initial_rollouts=1",
                    "rollout.response_length=16"]
        var lines: [String] = []
        let summary = try Demo(directory: directory, seed: 3, budget: budget, overrides: tiny).run { lines.append($0) }
        XCTAssertEqual(summary.sft.suites.map(\.suite), ["bridge", "bridge (ood)"])
        XCTAssertEqual(summary.aepo.suites.map(\.questions), [2, 1])
        XCTAssertEqual(summary.aepo.suites.map(\.runs), [2, 2])
        XCTAssertTrue(lines.contains { $0.hasPrefix("sft Pass@1") }, "\(lines)")
        for key in ["benchmark", "sft", "eval_sft", "aepo", "eval_aepo", "total"] { XCTAssertNotNil(summary.seconds[key], key) }
        for file in ["summary.json", "summary.txt", "sft/final/model.safetensors", "aepo/final/tokenizer.json", "aepo/metrics.jsonl",
                     "sft/eval/eval.json", "aepo/eval/outcomes.jsonl", "report.html", "report.md"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path), file)
        }
        XCTAssertTrue(summary.text.contains("bridge (ood)"), summary.text)
        XCTAssertTrue(summary.text.contains("SFT Pass@2"), summary.text)
        let events = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("aepo").path)
        XCTAssertTrue(events.contains { $0.hasPrefix("events.out.tfevents.") }, "the demo's runs log to TensorBoard")

        // Run again: every stage is found finished, nothing is trained or evaluated anew, the figures are the same.
        lines = []
        let again = try Demo(directory: directory, seed: 3, budget: budget, overrides: tiny).run { lines.append($0) }
        XCTAssertEqual(lines, [])
        XCTAssertEqual(again.aepo, summary.aepo)
        XCTAssertEqual(Set(again.seconds.keys), ["total"])
    }
}
