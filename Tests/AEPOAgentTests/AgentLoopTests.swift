import AEPOAgent
import AEPOAgentTestSupport
import AEPOCore
import AEPOTools
import XCTest

/// The agent loop driven by scripted policies: stops, tool results, masks, limits, seeds, batching.
final class AgentLoopTests: XCTestCase {
    let tokenizer = AgentFixture.tokenizer

    func makeLoop(_ policy: ScriptedPolicy, settings: AgentSettings = AgentSettings(maxResponseTokens: 200, maxToolCalls: 3),
                  contextLength: Int = 1 << 20) -> (AgentLoop, ScriptedSampler) {
        let sampler = policy.sampler(contextLength: contextLength)
        return (AgentLoop(backend: sampler, tokenizer: tokenizer, environment: AgentFixture.environment, settings: settings), sampler)
    }

    /// Runs `count` trajectories of each question to the end, in one batch.
    func rollout(_ loop: AgentLoop, _ questions: [Question], count: Int, seed: UInt64 = 1) throws -> [Trajectory] {
        let prompts = try loop.openPrompts(questions)
        var live = prompts.flatMap { p in
            (0..<count).map { loop.start(p, id: $0, generator: SeededGenerator(seed: seed).derived(stream: UInt64(p.questionIndex * 100 + $0))) }
        }
        try loop.complete(&live)
        defer { prompts.forEach(loop.close) }
        return live.map(loop.finish)
    }

    func testSearchThenAnswerIsScoredAndMasked() throws {
        let policy = ScriptedPolicy(segments: [["<think> find it </think><search> Alba Works </search>"],
                                              ["<answer> \\boxed{Bruno Vale} </answer>"]],
                                    entropy: { Float($0 + 1) })
        let (loop, sampler) = makeLoop(policy)
        let t = try XCTUnwrap(rollout(loop, [AgentFixture.questions[0]], count: 1).first)
        XCTAssertEqual(t.finish, .answer)
        XCTAssertEqual(t.answer, "Bruno Vale")
        XCTAssertEqual(t.reward.value, 1, accuracy: 1e-12)
        XCTAssertEqual(t.toolCalls.map(\.call), [ToolCall(name: "search", input: "Alba Works")])
        XCTAssertTrue(t.toolCalls[0].result.contains("founded by Bruno Vale"), t.toolCalls[0].result)
        let block = t.toolCalls[0].result
        XCTAssertTrue(block.hasPrefix("\n<result>\n") && block.hasSuffix("\n</result>\n"))
        XCTAssertEqual(t.text, "<think> find it </think><search> Alba Works </search>" + block + "<answer> \\boxed{Bruno Vale} </answer>")

        // Mask: 1 exactly on the two model segments, 0 on the result block's tokens.
        let first = tokenizer.encode("<think> find it </think><search> Alba Works </search>")
        let resultTokens = tokenizer.encode(block)
        let last = tokenizer.encode("<answer> \\boxed{Bruno Vale} </answer>")
        XCTAssertEqual(t.responseTokens, first + resultTokens + last)
        XCTAssertEqual(t.lossMask, [UInt8](repeating: 1, count: first.count) + [UInt8](repeating: 0, count: resultTokens.count)
                       + [UInt8](repeating: 1, count: last.count))
        for (i, m) in t.lossMask.enumerated() where m == 0 {
            XCTAssertEqual(t.logProbs[i], 0)
            XCTAssertEqual(t.entropies[i], 0)
        }
        XCTAssertEqual(t.policyTokenCount, first.count + last.count)
        // SFT's encoding of the same pieces gives the same tokens and mask.
        let sft = TrajectoryEncoding(tokenizer: tokenizer).response([
            .model("<think> find it </think><search> Alba Works </search>"), .environment(block), .model("<answer> \\boxed{Bruno Vale} </answer>"),
        ])
        XCTAssertEqual(sft.tokens, t.responseTokens)
        XCTAssertEqual(sft.lossMask, t.lossMask)
        // Segments and H_seg = Σ_{first K} H_t / log|V| (entropy 1 then 2 per token, K = 20).
        XCTAssertEqual(t.segments.map(\.start), [0, first.count + resultTokens.count])
        XCTAssertEqual(t.segments.map(\.length), [first.count, last.count])
        let logV = log(Double(tokenizer.vocabularySize))
        XCTAssertEqual(t.segments[0].entropy, Double(min(first.count, 20)) * 1 / logV, accuracy: 1e-9)
        XCTAssertEqual(t.segments[1].entropy, Double(min(last.count, 20)) * 2 / logV, accuracy: 1e-9)
        // The prompt is the ChatML chat of the instructions and the question, the assistant's turn opened.
        let question = AgentFixture.questions[0].question
        XCTAssertEqual(t.promptTokens, tokenizer.encode("<|im_start|>system\n\(AgentPrompt.standardInstructions)<|im_end|>\n"
                                                        + "<|im_start|>user\n\(question)<|im_end|>\n<|im_start|>assistant\n"))
        XCTAssertEqual(sampler.openSequences, 0, "every sequence released")
    }

    func testBothToolKindsEarnTheBonus() throws {
        let policy = ScriptedPolicy(segments: [["<search> Vel </search>"], ["<python> 100 + 20 </python>"], ["<answer> \\boxed{120 km} </answer>"]])
        let t = try XCTUnwrap(rollout(makeLoop(policy).0, [AgentFixture.questions[1]], count: 1).first)
        XCTAssertEqual(t.toolCalls.map(\.result).last, TrajectoryFormat.resultBlock("120"))
        XCTAssertEqual(t.reward.value, 1.1, accuracy: 1e-12)
    }

    func testToolCallLimitEndsTheTrajectory() throws {
        let policy = ScriptedPolicy(segments: [["<search> Orsk </search>"]])
        let (loop, _) = makeLoop(policy, settings: AgentSettings(maxResponseTokens: 500, maxToolCalls: 2))
        let t = try XCTUnwrap(rollout(loop, [AgentFixture.questions[1]], count: 1).first)
        XCTAssertEqual(t.finish, .toolCallLimit)
        XCTAssertEqual(t.toolCalls.count, 2, "the third call is not run")
        XCTAssertEqual(t.segments.count, 3)
        XCTAssertEqual(t.reward.value, -1, "no answer: broken format")
    }

    func testResponseLimitCountsPolicyTokensOnly() throws {
        let policy = ScriptedPolicy(segments: [["<search> Orsk </search>"], ["<think> " + String(repeating: "river town ", count: 40)]])
        let (loop, _) = makeLoop(policy, settings: AgentSettings(maxResponseTokens: 30, maxToolCalls: 3))
        let t = try XCTUnwrap(rollout(loop, [AgentFixture.questions[1]], count: 1).first)
        XCTAssertEqual(t.finish, .responseLimit)
        XCTAssertEqual(t.policyTokenCount, 30)
        XCTAssertGreaterThan(t.responseTokens.count, 30, "tool output does not count")
    }

    func testContextLimit() throws {
        let policy = ScriptedPolicy(segments: [["<think> " + String(repeating: "river town ", count: 40)]])
        let (loop, _) = makeLoop(policy, contextLength: 220)
        let t = try XCTUnwrap(rollout(loop, [AgentFixture.questions[1]], count: 1).first)
        XCTAssertEqual(t.finish, .contextLimit)
        XCTAssertEqual(t.promptTokens.count + t.responseTokens.count, 220)
    }

    func testEndTokenAndBrokenStops() throws {
        let eos = ScriptedPolicy(segments: [["<think> done </think><|endoftext|>"]])
        let t = try XCTUnwrap(rollout(makeLoop(eos).0, [AgentFixture.questions[0]], count: 1).first)
        XCTAssertEqual(t.finish, .endOfSequence)
        XCTAssertEqual(t.text, "<think> done </think>", "the end token is not part of the text")
        XCTAssertEqual(t.lossMask.last, 1, "the end token is trained on")

        let unopened = ScriptedPolicy(segments: [["Orsk </search>"]])
        XCTAssertEqual(try rollout(makeLoop(unopened).0, [AgentFixture.questions[0]], count: 1)[0].finish, .brokenFormat)
        let forged = ScriptedPolicy(segments: [["<result> 1950"]])
        let f = try rollout(makeLoop(forged).0, [AgentFixture.questions[0]], count: 1)[0]
        XCTAssertEqual(f.finish, .brokenFormat)
        XCTAssertEqual(f.reward.value, -1)
    }

    /// A policy with choices: trajectories differ, but a seed fixes them, and generating all of them in
    /// one batch gives exactly what generating each alone gives.
    let branchy = ScriptedPolicy(segments: [["<search> Alba Works </search>", "<search> Orsk </search>", "<python> 2 * 60 </python>"],
                                            ["<search> Bruno Vale </search>", "<answer> \\boxed{1950} </answer>", "<answer> \\boxed{120 km} </answer>"],
                                            ["<answer> \\boxed{1950} </answer>", "<search> Vel </search>"]],
                                 entropy: { Float($0) * 0.5 + 0.25 })

    func testSameSeedSameTrajectoriesAndBatchingChangesNothing() throws {
        let (loop, sampler) = makeLoop(branchy)
        let batched = try rollout(loop, AgentFixture.questions, count: 4, seed: 9)
        XCTAssertEqual(sampler.generateBatchSizes.first, 12, "one generate call for all trajectories")
        XCTAssertEqual(try rollout(makeLoop(branchy).0, AgentFixture.questions, count: 4, seed: 9), batched)
        XCTAssertGreaterThan(Set(batched.map(\.text)).count, 3, "the choices differ between trajectories")
        XCTAssertNotEqual(try rollout(makeLoop(branchy).0, AgentFixture.questions, count: 4, seed: 10).map(\.text), batched.map(\.text))

        for (qi, question) in AgentFixture.questions.enumerated() {
            let (single, _) = makeLoop(branchy)
            let prompts = try single.openPrompts(AgentFixture.questions)
            for id in 0..<4 {
                var live = [single.start(prompts[qi], id: id, generator: SeededGenerator(seed: 9).derived(stream: UInt64(qi * 100 + id)))]
                try single.complete(&live)
                XCTAssertEqual(single.finish(live[0]), batched[qi * 4 + id], "\(question.id) #\(id)")
            }
        }
    }

    func testBranchCopiesTheStateAndContinuesOnItsOwn() throws {
        let (loop, sampler) = makeLoop(branchy)
        let prompt = try XCTUnwrap(loop.openPrompts([AgentFixture.questions[2]]).first)
        var live = [loop.start(prompt, id: 0, generator: SeededGenerator(seed: 3))]
        try loop.advance(&live)
        XCTAssertTrue(live[0].isActive)
        let child = loop.branch(live[0], id: 1, generator: SeededGenerator(seed: 4))
        XCTAssertEqual(child.parent, 0)
        XCTAssertEqual(child.root, 0)
        XCTAssertEqual(child.responseTokens, live[0].responseTokens)
        XCTAssertEqual(child.toolBudget, live[0].toolBudget)
        XCTAssertEqual(sampler.context(of: child.sequence), sampler.context(of: live[0].sequence))
        let prefill = sampler.statistics.prefillTokens
        live.append(child)
        try loop.complete(&live)
        // Both carry the first result, prefilled once before the fork.
        let firstResult = tokenizer.encode(live[0].toolCalls[0].result).count
        let appended = live.map { $0.responseTokens.count - $0.policyTokens }.reduce(0, +) - 2 * firstResult
        XCTAssertEqual(sampler.statistics.prefillTokens - prefill, appended, "only the new results after the fork are prefilled")
        let done = live.map(loop.finish)
        let shared = done[0].segments[1].start  // the first segment and its result
        XCTAssertEqual(Array(done[1].responseTokens.prefix(shared)), Array(done[0].responseTokens.prefix(shared)))
        loop.close(prompt)
        XCTAssertEqual(sampler.openSequences, 0)
    }
}
