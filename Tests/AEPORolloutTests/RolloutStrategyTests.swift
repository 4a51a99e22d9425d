import AEPOAgent
import AEPOAgentTestSupport
import AEPOCore
import AEPORollout
import AEPOTestSupport
import AEPOTools
import XCTest

/// The three strategies over the real agent loop, driven by scripted policies.
final class RolloutStrategyTests: XCTestCase {
    let tokenizer = AgentFixture.tokenizer

    /// Three segment choices per round; a call or an answer each time, H_t = 0.3 + 0.4·(segment index).
    let policy = ScriptedPolicy(segments: [["<search> Alba Works </search>", "<search> Orsk </search>", "<python> 2 * 60 </python>"],
                                           ["<search> Bruno Vale </search>", "<answer> \\boxed{1950} </answer>", "<open> Vel </open>"],
                                           ["<answer> \\boxed{1950} </answer>", "<search> Vel </search>", "<answer> \\boxed{120 km} </answer>"]],
                                entropy: { 0.3 + 0.4 * Float($0) })

    func rollout(_ settings: RolloutSettings, _ questions: [Question] = AgentFixture.questions, seed: UInt64 = 5,
                 policy: ScriptedPolicy? = nil) throws -> (RolloutBatch, ScriptedSampler) {
        let sampler = (policy ?? self.policy).sampler()
        let agent = AgentLoop(backend: sampler, tokenizer: tokenizer, environment: AgentFixture.environment,
                              settings: AgentSettings(maxResponseTokens: 120, maxToolCalls: 3))
        let batch = try Rollout(agent: agent, settings: settings).run(questions, generator: SeededGenerator(seed: seed))
        XCTAssertEqual(sampler.openSequences, 0, "every sequence is released")
        return (batch, sampler)
    }

    static let strategies: [(String, RolloutSettings)] = [
        ("independent", RolloutSettings(strategy: .independent, trajectoriesPerQuestion: 5)),
        ("arpo", RolloutSettings(strategy: .arpo, trajectoriesPerQuestion: 6, initialRollouts: 2)),
        ("aepo", RolloutSettings(strategy: .aepo, trajectoriesPerQuestion: 6, initialRollouts: 2,
                                 branch: BranchPolicy.Settings(penalty: 0.05), preMonitor: true)),
        ("aepo fixed m, per question, released", RolloutSettings(
            strategy: .aepo, trajectoriesPerQuestion: 6, initialRollouts: 1,
            branch: BranchPolicy.Settings(penalty: 0.05, form: .released, scope: .question))),
    ]

    /// Exactly k per question, and the log accounts for every one: m roots + fresh roots + taken branches,
    /// each branch with exactly one taken event naming it, its parent and its root.
    func testEveryQuestionEndsWithExactlyKAndTheLogAccountsForThem() throws {
        for (name, settings) in Self.strategies {
            let (batch, _) = try rollout(settings)
            let k = settings.trajectoriesPerQuestion
            XCTAssertEqual(batch.groups.map(\.count), [k, k, k], name)
            XCTAssertEqual(batch.report.trajectories, 3 * k)
            var branchTotal = 0
            for (q, group) in batch.groups.enumerated() {
                XCTAssertEqual(group.map(\.id), Array(0..<k), name)
                let taken = batch.events.filter { $0.question == q && $0.taken }
                let roots = group.filter { $0.parent == nil }
                XCTAssertEqual(roots.count + taken.count, k, name)
                XCTAssertGreaterThanOrEqual(roots.count, batch.report.initialRollouts[q])
                for t in group where t.parent != nil {
                    let event = taken.filter { $0.child == t.id }
                    XCTAssertEqual(event.count, 1, "\(name): q\(q) #\(t.id)")
                    XCTAssertEqual(event.first?.parent, t.parent)
                    XCTAssertEqual(event.first?.root, t.root)
                    XCTAssertEqual(group[t.parent!].root, t.root)
                }
                branchTotal += taken.count
                XCTAssertTrue(group.allSatisfy { $0.questionIndex == q && $0.questionID == AgentFixture.questions[q].id })
            }
            XCTAssertEqual(batch.report.branches, branchTotal, name)
            XCTAssertEqual(batch.report.freshRoots + batch.report.initialRollouts.reduce(0, +) + branchTotal, 3 * k, name)
            if settings.strategy == .independent {
                XCTAssertTrue(batch.events.isEmpty)
                XCTAssertEqual(batch.report.initialRollouts, [k, k, k])
            } else {
                XCTAssertGreaterThan(branchTotal, 0, "\(name): some branches")
            }
            XCTAssertEqual(batch.report.branchPrefillRecomputed, 0)
        }
    }

    /// Tool-result tokens have mask 0 (and no log-prob or entropy); every token the policy wrote has mask 1.
    func testToolTokensAreMaskedAndPolicyTokensAreNot() throws {
        let (batch, _) = try rollout(Self.strategies[2].1)
        for t in batch.trajectories {
            var expected = [UInt8](repeating: 1, count: t.responseTokens.count)
            var cursor = 0
            for (i, segment) in t.segments.enumerated() {
                XCTAssertEqual(segment.start, cursor)
                cursor += segment.length
                if let call = t.toolCalls.first(where: { $0.segment == i }) {
                    let tokens = tokenizer.encode(call.result)
                    XCTAssertEqual(Array(t.responseTokens[cursor..<(cursor + tokens.count)]), tokens)
                    for j in cursor..<(cursor + tokens.count) { expected[j] = 0 }
                    cursor += tokens.count
                }
            }
            XCTAssertEqual(cursor, t.responseTokens.count)
            XCTAssertEqual(t.lossMask, expected)
            for (m, (h, lp)) in zip(t.lossMask, zip(t.entropies, t.policyLogProbs)) {
                if m == 0 { XCTAssertEqual(h, 0); XCTAssertEqual(lp, 0) } else { XCTAssertGreaterThan(h, 0); XCTAssertEqual(lp, -1) }
            }
        }
    }

    /// Same seed → the same rollout; a question's trees do not depend on the other questions of the batch
    /// (its own streams, batched generation changes nothing).
    func testSeededAndIndependentOfTheBatch() throws {
        for (name, settings) in Self.strategies {
            let (batch, sampler) = try rollout(settings)
            XCTAssertEqual(try rollout(settings).0.groups, batch.groups, name)
            XCTAssertEqual(try rollout(settings).0.events, batch.events, name)
            XCTAssertNotEqual(try rollout(settings, seed: 6).0.groups, batch.groups, name)
            XCTAssertGreaterThan(sampler.generateBatchSizes.max() ?? 0, settings.trajectoriesPerQuestion / 2,
                                 "\(name): questions share generate calls")
            for (q, question) in AgentFixture.questions.enumerated() {
                let (alone, _) = try rollout(settings, [question])
                var expected = batch.groups[q]
                for i in expected.indices { expected[i].questionIndex = 0 }
                XCTAssertEqual(alone.groups[0], expected, "\(name): \(question.id)")
                XCTAssertEqual(alone.events.map(\.probability), batch.events.filter { $0.question == q }.map(\.probability))
            }
        }
    }

    /// After every round the caller hears how many trajectories are finished: never fewer, at the end all k per question.
    func testFinishedTrajectoriesAreReportedAfterEveryRound() throws {
        for (name, settings) in Self.strategies {
            var counts: [Int] = []
            let agent = AgentLoop(backend: policy.sampler(), tokenizer: tokenizer, environment: AgentFixture.environment,
                                  settings: AgentSettings(maxResponseTokens: 120, maxToolCalls: 3))
            let batch = try Rollout(agent: agent, settings: settings).run(AgentFixture.questions, generator: SeededGenerator(seed: 5)) {
                counts.append($0)
            }
            XCTAssertEqual(counts.count, batch.report.rounds, name)
            XCTAssertEqual(counts, counts.sorted(), name)
            XCTAssertLessThan(counts.first ?? 0, 3 * settings.trajectoriesPerQuestion, name)
            XCTAssertEqual(counts.last, 3 * settings.trajectoriesPerQuestion, name)
        }
    }

    /// m from the monitor's segment entropies by the budget formula; the monitor is discarded and costed.
    func testPreMonitoringSplitsTheBudget() throws {
        let fixed = ScriptedPolicy(segments: [["<search> Orsk </search>"], ["<search> Vel </search>"], ["<answer> \\boxed{120 km} </answer>"]],
                                   entropy: { [2.0, 0.2, 0.5][min($0, 2)] })
        let k = 8
        let settings = RolloutSettings(strategy: .aepo, trajectoriesPerQuestion: k, initialRollouts: 2,
                                       branch: BranchPolicy.Settings(penalty: 0.05), preMonitor: true)
        let (batch, _) = try rollout(settings, [AgentFixture.questions[1]], policy: fixed)
        let lengths = ["<search> Orsk </search>", "<search> Vel </search>", "<answer> \\boxed{120 km} </answer>"].map { tokenizer.encode($0).count }
        let logV = log(Double(tokenizer.vocabularySize))
        let h = zip(lengths, [2.0, 0.2, 0.5]).map { Double(min($0, 20)) * Double(Float($1)) / logV }
        let m = BudgetAllocator(trajectories: k).initialRollouts(rootEntropy: h[0], toolEntropy: h.reduce(0, +) / 3)
        XCTAssertEqual(batch.report.initialRollouts, [m])
        XCTAssertGreaterThan(m, 2, "a high first-segment entropy gives more roots than the fixed m")
        XCTAssertEqual(batch.report.preMonitorTrajectories, 1)
        XCTAssertEqual(batch.report.preMonitorTokens, lengths.reduce(0, +))
        XCTAssertEqual(batch.report.preMonitorToolCalls, 2)
        XCTAssertEqual(batch.groups[0].count, k)
        XCTAssertEqual(batch.trajectories.filter { $0.parent == nil }.count - batch.report.freshRoots, m)
    }

    /// A backend whose fork copies by prefilling the parent's whole context again: the report sees it.
    func testRecomputedBranchPrefixesAreReported() throws {
        final class CopyingFork: SamplingBackend {
            let inner: ScriptedSampler
            var copied = 0
            init(_ inner: ScriptedSampler) { self.inner = inner }
            var entropyVocabularySize: Int { inner.entropyVocabularySize }
            var contextLength: Int { inner.contextLength }
            var statistics: SamplingStatistics { inner.statistics }
            func open(prompts: [[Int]]) throws -> [SequenceHandle] { try inner.open(prompts: prompts) }
            func extend(_ requests: [(sequence: SequenceHandle, tokens: [Int])]) throws { try inner.extend(requests) }
            func fork(_ sequence: SequenceHandle) -> SequenceHandle {
                copied += inner.context(of: sequence).count
                return try! inner.open(prompts: [inner.context(of: sequence)])[0]
            }
            func release(_ sequence: SequenceHandle) { inner.release(sequence) }
            func generate(_ requests: [SegmentRequest], stop: StopCriteria) throws -> [GeneratedSegment] {
                try inner.generate(requests, stop: stop)
            }
        }
        let backend = CopyingFork(policy.sampler())
        let agent = AgentLoop(backend: backend, tokenizer: tokenizer, environment: AgentFixture.environment,
                              settings: AgentSettings(maxResponseTokens: 120, maxToolCalls: 3))
        let batch = try Rollout(agent: agent, settings: Self.strategies[1].1).run(AgentFixture.questions, generator: SeededGenerator(seed: 5))
        XCTAssertGreaterThan(batch.report.branches, 0)
        XCTAssertEqual(batch.report.branchPrefillRecomputed, backend.copied)
        XCTAssertGreaterThan(backend.copied, batch.trajectories.reduce(0) { $0 + $1.promptTokens.count })
    }

    /// A backend error mid-rollout is thrown and leaves no sequence open.
    func testAFailingBackendLeavesNoOpenSequence() throws {
        struct Failure: Error {}
        final class FailingOnSecondRound: SamplingBackend {
            let inner: ScriptedSampler
            var calls = 0
            init(_ inner: ScriptedSampler) { self.inner = inner }
            var entropyVocabularySize: Int { inner.entropyVocabularySize }
            var contextLength: Int { inner.contextLength }
            var statistics: SamplingStatistics { inner.statistics }
            func open(prompts: [[Int]]) throws -> [SequenceHandle] { try inner.open(prompts: prompts) }
            func extend(_ requests: [(sequence: SequenceHandle, tokens: [Int])]) throws { try inner.extend(requests) }
            func fork(_ sequence: SequenceHandle) -> SequenceHandle { inner.fork(sequence) }
            func release(_ sequence: SequenceHandle) { inner.release(sequence) }
            func generate(_ requests: [SegmentRequest], stop: StopCriteria) throws -> [GeneratedSegment] {
                calls += 1
                if calls == 2 { throw Failure() }
                return try inner.generate(requests, stop: stop)
            }
        }
        for (name, settings) in Self.strategies {
            let backend = FailingOnSecondRound(policy.sampler())
            let agent = AgentLoop(backend: backend, tokenizer: tokenizer, environment: AgentFixture.environment,
                                  settings: AgentSettings(maxResponseTokens: 120, maxToolCalls: 3))
            XCTAssertThrowsError(try Rollout(agent: agent, settings: settings).run(AgentFixture.questions, generator: SeededGenerator(seed: 5)),
                                 name) { XCTAssertTrue($0 is Failure) }
            XCTAssertEqual(backend.inner.openSequences, 0, name)
        }
    }

    func testEventsAreWrittenAsJSONLines() throws {
        let (batch, _) = try rollout(Self.strategies[1].1)
        let url = try Fixtures.temporaryDirectory().appendingPathComponent("events.jsonl")
        try batch.writeEvents(to: url)
        let read = try JSONLines.read(BranchEvent.self, from: url)
        XCTAssertEqual(read, batch.events)
        let first = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").first.map(String.init) ?? ""
        for key in ["question", "parent", "root", "round", "entropy_change", "probability", "consecutive_branches", "taken"] {
            XCTAssertTrue(first.contains("\"\(key)\""), first)
        }
    }
}
