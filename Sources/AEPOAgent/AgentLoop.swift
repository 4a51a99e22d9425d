import AEPOCore
import AEPOModel
import AEPOTokenizer
import AEPOTools
import Foundation

/// The agent's turn loop over a `SamplingBackend` (docs/algorithm.md §1.1): generate until a tool
/// stop tag, end-of-sequence, `</answer>` or a limit; run the tool; append its `<result>` block
/// (loss mask 0); repeat.
///
/// It works round by round on a batch of trajectories so a rollout strategy can decide between
/// rounds (branch, start fresh roots): `advance` generates the next segment of every active
/// trajectory in one batched `generate`, runs the round's tool calls concurrently, and appends all
/// results in one batched `extend`. A trajectory ends at:
/// - `</answer>` (`.answer`) or an end token (`.endOfSequence`);
/// - a tool call past `maxToolCalls` (`.toolCallLimit`; the call gets no result);
/// - `maxResponseTokens` policy tokens (`.responseLimit`) or the backend's context (`.contextLimit`);
/// - a broken stop: a closing tool tag never opened, or a `<result>` the model wrote (`.brokenFormat`).
///
/// Prompts and tool-result blocks are tokenized by `encoding` (`TrajectoryEncoding`), as SFT tokenizes
/// demonstrations: a finished trajectory's tokens equal `encoding.response(pieces)` whenever each sampled
/// segment is the tokenizer's own encoding of its text.
public final class AgentLoop {
    public let backend: any SamplingBackend
    public let tokenizer: Tokenizer
    public let environment: ToolEnvironment
    public let settings: AgentSettings
    public let stop: StopCriteria
    public let format: TrajectoryFormat
    public let segmentEntropy: SegmentEntropy
    /// Prompt and result-block tokenization (shared with SFT).
    public let encoding: TrajectoryEncoding

    /// - Parameters:
    ///   - template: renders the agent's prompt (`TrajectoryEncoding`): the checkpoint's chat template, or ChatML.
    ///   - endTokens: ids that end a trajectory; by default the tokenizer's `<|endoftext|>`
    ///     and `<|im_end|>` (see `StopCriteria.endTokens(of:extra:)`, e.g. to add the config's EOS id).
    public init(backend: any SamplingBackend, tokenizer: Tokenizer, environment: ToolEnvironment,
                settings: AgentSettings, template: ChatTemplate = .chatML, endTokens: Set<Int>? = nil) {
        self.backend = backend
        self.tokenizer = tokenizer
        self.environment = environment
        self.settings = settings
        format = environment.format
        stop = StopCriteria(format: format, tokenizer: tokenizer, endTokens: endTokens ?? StopCriteria.endTokens(of: tokenizer))
        segmentEntropy = SegmentEntropy(vocabularySize: backend.entropyVocabularySize, window: settings.entropyWindow)
        encoding = TrajectoryEncoding(tokenizer: tokenizer, prompt: settings.prompt, template: template)
    }

    // MARK: Starting and ending

    /// Opens every question's prompt in one batched prefill; `questionIndex` is the position in `questions`.
    public func openPrompts(_ questions: [Question]) throws -> [OpenPrompt] {
        let tokens = try questions.map { try encoding.promptTokens(question: $0.question) }
        for (question, prompt) in zip(questions, tokens) where prompt.count >= backend.contextLength {
            throw InputError("the prompt has \(prompt.count) tokens; the model's context holds \(backend.contextLength)",
                             source: "question \(question.id)")
        }
        let handles = try backend.open(prompts: tokens)
        return questions.indices.map { OpenPrompt(questionIndex: $0, question: questions[$0], tokens: tokens[$0], sequence: handles[$0]) }
    }

    public func close(_ prompt: OpenPrompt) {
        backend.release(prompt.sequence)
    }

    /// A new root trajectory of `prompt`'s question (a fork of the prompt sequence).
    public func start(_ prompt: OpenPrompt, id: Int, generator: SeededGenerator) -> LiveTrajectory {
        LiveTrajectory(prompt: prompt, sequence: backend.fork(prompt.sequence), id: id, parent: nil, root: id,
                       generator: generator, toolCalls: settings.maxToolCalls)
    }

    /// A branch of `parent`: a copy of its full state (tokens, masks, segments, tool-call count, backend
    /// sequence by fork) that continues with its own stream `generator`.
    public func branch(_ parent: LiveTrajectory, id: Int, generator: SeededGenerator) -> LiveTrajectory {
        precondition(parent.isActive, "only an active trajectory can branch")
        return LiveTrajectory(branchOf: parent, id: id, sequence: backend.fork(parent.sequence), generator: generator)
    }

    /// The finished trajectory's record, parsed and scored (`Reward`); releases its sequence.
    public func finish(_ live: LiveTrajectory) -> Trajectory {
        precondition(!live.isActive, "trajectory \(live.id) has not ended")
        backend.release(live.sequence)
        let parsed = format.parse(pieces: live.pieces)
        let reward = Reward.score(parsed, answers: live.question.answers, kind: environment.kind(of:))
        return Trajectory(
            questionIndex: live.questionIndex, questionID: live.question.id, id: live.id, parent: live.parent, root: live.root,
            promptTokens: live.promptTokens, responseTokens: live.responseTokens, lossMask: live.lossMask,
            logProbs: live.logProbs, policyLogProbs: live.policyLogProbs, entropies: live.entropies,
            segments: live.segments, toolCalls: live.toolCalls, finish: live.finish!,
            text: live.pieces.map(\.text).joined(), answer: parsed.answer, reward: reward)
    }

    /// Releases a trajectory without keeping a record (e.g. AEPO's pre-monitoring run).
    public func discard(_ live: LiveTrajectory) {
        backend.release(live.sequence)
    }

    // MARK: Rounds

    /// Runs rounds until no trajectory in `trajectories` is active.
    public func complete(_ trajectories: inout [LiveTrajectory]) throws {
        while trajectories.contains(where: \.isActive) { try advance(&trajectories) }
    }

    /// One round: the next segment of every active trajectory (one batched `generate`), then the round's
    /// tool calls (concurrently), then every `<result>` block appended (one batched `extend`). Afterwards
    /// each trajectory is either ended (`finish` set) or active and waiting after a tool result.
    public func advance(_ trajectories: inout [LiveTrajectory]) throws {
        var requests: [SegmentRequest] = []
        var owners: [Int] = []
        for i in trajectories.indices where trajectories[i].isActive {
            let t = trajectories[i]
            let budget = min(settings.maxResponseTokens - t.policyTokens, backend.contextLength - t.length)
            guard budget > 0 else {
                trajectories[i].finish = t.policyTokens >= settings.maxResponseTokens ? .responseLimit : .contextLimit
                continue
            }
            requests.append(SegmentRequest(sequence: t.sequence, maxTokens: budget, generator: t.generator))
            owners.append(i)
        }
        guard !requests.isEmpty else { return }
        let segments = try backend.generate(requests, stop: stop)

        var stops: [(owner: Int, stop: TrajectoryFormat.Stop)] = []
        for (owner, segment) in zip(owners, segments) {
            if let stop = record(segment, into: &trajectories[owner]) { stops.append((owner, stop)) }
        }
        var budgets = stops.map { trajectories[$0.owner].toolBudget }
        let outcomes = respond(to: stops.map(\.stop), budgets: &budgets)

        var extensions: [(sequence: SequenceHandle, tokens: [Int])] = []
        for (i, (owner, stop)) in stops.enumerated() {
            var t = trajectories[owner]
            t.toolBudget = budgets[i]
            switch outcomes[i] {
            case .finish(.answered): t.finish = .answer
            case .finish(.toolLimit): t.finish = .toolCallLimit
            case .finish(.brokenFormat): t.finish = .brokenFormat
            case .appendResult(let block):
                let tokens = encoding.pieceTokens(block)
                // The result, and at least one more token after it, must fit the context.
                guard t.length + tokens.count < backend.contextLength else {
                    t.finish = .contextLimit
                    break
                }
                if case .toolCall(let call) = stop {
                    t.toolCalls.append(ToolCallRecord(call: call, result: block, segment: t.segments.count - 1))
                }
                t.pieces.append(.environment(block))
                t.appendEnvironment(tokens)
                extensions.append((t.sequence, tokens))
            }
            trajectories[owner] = t
        }
        try backend.extend(extensions)
    }

    /// Appends a generated segment to `t`; ends it at an end token or a limit, or returns the stop the
    /// environment must answer.
    private func record(_ segment: GeneratedSegment, into t: inout LiveTrajectory) -> TrajectoryFormat.Stop? {
        t.generator = segment.generator
        let start = t.responseTokens.count
        t.appendPolicy(segment.tokens)
        t.segments.append(TrajectorySegment(start: start, length: segment.tokens.count,
                                            entropy: segmentEntropy(segment.tokens.map(\.entropy))))
        var ids = segment.tokens.map(\.token)
        switch segment.finish {
        case .endToken:
            ids.removeLast()
            t.pieces.append(.model(text(of: ids)))
            t.finish = .endOfSequence
        case .tokenLimit:
            t.pieces.append(.model(text(of: ids)))
            t.finish = t.policyTokens >= settings.maxResponseTokens ? .responseLimit : .contextLimit
        case .stopString:
            let text = text(of: ids)
            guard let end = format.firstStop(in: text) else {
                t.pieces.append(.model(text))
                t.finish = .brokenFormat
                return nil
            }
            t.pieces.append(.model(String(decoding: text.utf8.prefix(end.utf8Length), as: UTF8.self)))
            return end.stop
        }
        return nil
    }

    /// The environment's response to each stop (`ToolEnvironment.respond`), the tool calls run
    /// concurrently; each stop counts against its own budget.
    private func respond(to stops: [TrajectoryFormat.Stop], budgets: inout [ToolCallBudget]) -> [TurnOutcome] {
        let environment = self.environment
        guard stops.count > 1 else { return stops.indices.map { environment.respond(to: stops[$0], budget: &budgets[$0]) } }
        let outcomes = UnsafeMutableBufferPointer<TurnOutcome>.allocate(capacity: stops.count)
        defer { outcomes.deallocate() }
        budgets.withUnsafeMutableBufferPointer { budgets in
            DispatchQueue.concurrentPerform(iterations: stops.count) { i in
                (outcomes.baseAddress! + i).initialize(to: environment.respond(to: stops[i], budget: &budgets[i]))
            }
        }
        defer { _ = outcomes.deinitialize() }
        return Array(outcomes)
    }

    /// The text of generated ids; ids the tokenizer does not know (a model vocabulary padded past the
    /// tokenizer's) are left out.
    private func text(of ids: [Int]) -> String {
        if let text = try? tokenizer.decode(ids) { return text }
        return (try? tokenizer.decode(ids.filter { tokenizer.token(forId: $0) != nil })) ?? ""
    }
}
