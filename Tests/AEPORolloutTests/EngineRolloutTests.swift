import AEPOAgent
import AEPOAgentTestSupport
import AEPOBenchmark
import AEPOCore
import AEPOModel
import AEPORollout
import AEPOTools
import XCTest

/// ARPO and AEPO rollouts with the real engine (a small random Qwen3 that writes tool calls), the real
/// tools and the real tokenizer.
final class EngineRolloutTests: XCTestCase {
    func makeAgent(maxResponseTokens: Int = 40) throws -> (AgentLoop, NativeSampler) {
        let engine = try InferenceEngine(model: try ToolProneModel.make(), blockSize: 16)
        let sampler = NativeSampler(engine: engine, sampling: SamplingSettings(temperature: 1))
        let agent = AgentLoop(backend: sampler, tokenizer: AgentFixture.tokenizer, environment: AgentFixture.environment,
                              settings: AgentSettings(maxResponseTokens: maxResponseTokens, maxToolCalls: 3))
        return (agent, sampler)
    }

    func testARPOAndAEPOBatchesRunEndToEndWithoutRecomputingBranchPrefixes() throws {
        let k = 6
        let strategies = [
            ("arpo", RolloutSettings(strategy: .arpo, trajectoriesPerQuestion: k, initialRollouts: 2)),
            ("aepo", RolloutSettings(strategy: .aepo, trajectoriesPerQuestion: k, initialRollouts: 2,
                                     branch: BranchPolicy.Settings(penalty: 0.05), preMonitor: true)),
        ]
        for (name, settings) in strategies {
            let (agent, sampler) = try makeAgent()
            let batch = try Rollout(agent: agent, settings: settings).run(AgentFixture.questions, generator: SeededGenerator(seed: 11))
            let r = batch.report
            XCTAssertEqual(batch.groups.map(\.count), [k, k, k], name)
            for (q, group) in batch.groups.enumerated() {
                let taken = batch.events.filter { $0.question == q && $0.taken }
                XCTAssertEqual(group.filter { $0.parent == nil }.count + taken.count, k, name)
                XCTAssertEqual(Set(taken.compactMap(\.child)), Set(group.filter { $0.parent != nil }.map(\.id)), name)
            }
            XCTAssertGreaterThan(r.toolCalls, 0, "\(name): the model calls tools")
            XCTAssertGreaterThan(r.branches, 0, "\(name): some branches")
            XCTAssertEqual(r.branchPrefillRecomputed, 0, name)
            XCTAssertEqual(sampler.engine.cache.blocksInUse, 0, "\(name): every sequence released")
            // The engine prefilled each prompt once, every appended result once, plus one pending sampled token per
            // result (the call's closing tag, run together with its result), and nothing else.
            let promptTokens = batch.groups.map { $0[0].promptTokens.count }.reduce(0, +)
            if settings.preMonitor {
                XCTAssertGreaterThanOrEqual(r.prefillTokens, promptTokens + r.toolResultTokens + r.toolCalls + r.preMonitorToolCalls, name)
            } else {
                XCTAssertEqual(r.prefillTokens, promptTokens + r.toolResultTokens + r.toolCalls, name)
            }
            if settings.preMonitor {
                XCTAssertEqual(r.preMonitorTrajectories, 3)
                XCTAssertGreaterThan(r.preMonitorTokens, 0)
            }
            for t in batch.trajectories {
                XCTAssertEqual(t.lossMask.count, t.responseTokens.count)
                XCTAssertLessThanOrEqual(t.policyTokenCount, 40)
                XCTAssertLessThanOrEqual(t.toolCalls.count, 3)
                XCTAssertTrue(t.entropies.enumerated().allSatisfy { t.lossMask[$0.offset] == 0 || ($0.element > 0 && $0.element <= Float(log(320.0)) + 1e-4) })
                if t.finish == .toolCallLimit { XCTAssertEqual(t.toolCalls.count, 3) }
            }
            print("\(name): \(r.trajectories) trajectories, \(r.generatedTokens) tokens in \(r.rounds) rounds, \(r.toolCalls) tool calls, "
                  + "\(r.branches) branches, \(r.freshRoots) fresh roots, m = \(r.initialRollouts), prefill \(r.prefillTokens), "
                  + "recomputed \(r.branchPrefillRecomputed), pre-monitoring \(r.preMonitorTokens) tokens, \(String(format: "%.0f", Double(r.generatedTokens + r.preMonitorTokens) / max(r.seconds, 1e-9))) tokens/s")
        }
    }

    /// ARPO and AEPO on questions of a generated benchmark, with its tokenizer and tools.
    func testRolloutsOnGeneratedBenchmarkQuestions() throws {
        let benchmark = try Benchmark.generate(seed: 3, configuration: .small)
        let tokenizer = try BenchmarkTokenizer.train(on: benchmark, vocabularySize: 400)
        let questions = Array(benchmark.questions.filter { $0.split == "train" }.prefix(4))
        XCTAssertEqual(questions.count, 4)
        for settings in [RolloutSettings(strategy: .arpo, trajectoriesPerQuestion: 4, initialRollouts: 2),
                         RolloutSettings(strategy: .aepo, trajectoriesPerQuestion: 4, initialRollouts: 2,
                                         branch: BranchPolicy.Settings(penalty: 0.05), preMonitor: true)] {
            let engine = try InferenceEngine(model: try ToolProneModel.make(tokenizer: tokenizer, maxPositions: 640), blockSize: 16)
            let agent = AgentLoop(backend: NativeSampler(engine: engine, sampling: SamplingSettings(temperature: 1)), tokenizer: tokenizer,
                                  environment: benchmark.environment, settings: AgentSettings(maxResponseTokens: 32, maxToolCalls: 2))
            let batch = try Rollout(agent: agent, settings: settings).run(questions, generator: SeededGenerator(seed: 2))
            XCTAssertEqual(batch.groups.map(\.count), [4, 4, 4, 4])
            for (q, group) in batch.groups.enumerated() {
                let taken = batch.events.filter { $0.question == q && $0.taken }
                XCTAssertEqual(group.filter { $0.parent == nil }.count + taken.count, 4)
            }
            XCTAssertGreaterThan(batch.report.toolCalls, 0)
            XCTAssertEqual(batch.report.branchPrefillRecomputed, 0)
            XCTAssertEqual(engine.cache.blocksInUse, 0)
        }
    }

    /// A segment from `NativeSampler` equals one generated by hand with the engine and the sampler, and
    /// generating several sequences in one batch gives the tokens each gives alone.
    func testNativeSamplerMatchesTheEngineAndBatchingChangesNoToken() throws {
        let tokenizer = AgentFixture.tokenizer
        let prompts = try AgentFixture.questions.map { try TrajectoryEncoding(tokenizer: tokenizer).promptTokens(question: $0.question) }
        let stop = StopCriteria(format: TrajectoryFormat(), tokenizer: tokenizer, endTokens: StopCriteria.endTokens(of: tokenizer))
        let settings = SamplingSettings(temperature: 1)

        // By hand.
        let engine = try InferenceEngine(model: try ToolProneModel.make(), blockSize: 16)
        let sampler = Sampler(settings: settings)
        var generator = SeededGenerator(seed: 3)
        let s = engine.makeSequence()
        var logits = try engine.prefill(sequence: s, tokens: prompts[0])
        var manual: [SampledToken] = []
        var scanner = StopCriteria.Scanner(stop)
        while manual.count < 30 {
            let t = logits.withUnsafeBufferPointer { sampler.sample($0, using: &generator) }
            manual.append(t)
            if scanner.feed(t.token) != nil { break }
            logits = try engine.decodeStep(sequences: [s], tokens: [t.token])
        }

        let native = try makeAgent().1
        let handles = try native.open(prompts: prompts)
        let batched = try native.generate(handles.enumerated().map { SegmentRequest(sequence: $1, maxTokens: 30, generator: SeededGenerator(seed: UInt64(3 + $0))) }, stop: stop)
        XCTAssertEqual(batched[0].tokens.map(\.token), manual.map(\.token))
        for (a, b) in zip(batched[0].tokens, manual) {
            XCTAssertEqual(a.logProb, b.logProb, accuracy: 1e-5)
            XCTAssertEqual(a.entropy, b.entropy, accuracy: 1e-5)
        }
        for (i, prompt) in prompts.enumerated() {
            let alone = try native.open(prompts: [prompt])[0]
            let segment = try native.generate([SegmentRequest(sequence: alone, maxTokens: 30, generator: SeededGenerator(seed: UInt64(3 + i)))], stop: stop)[0]
            XCTAssertEqual(segment.tokens.map(\.token), batched[i].tokens.map(\.token), "question \(i)")
            XCTAssertEqual(segment.finish, batched[i].finish)
            XCTAssertEqual(segment.generator, batched[i].generator)
        }
        XCTAssertEqual(native.statistics.prefillTokens, 2 * prompts.reduce(0) { $0 + $1.count })
        XCTAssertEqual(native.engine.statistics.prefillTokens, native.statistics.prefillTokens)
        // Every pass of the engine is counted, prefills (four opens) and decode steps alike.
        XCTAssertEqual(native.statistics.passes, native.engine.statistics.passes)
        XCTAssertEqual(native.statistics.passes, native.statistics.decodeSteps + 1 + prompts.count)
    }
}
