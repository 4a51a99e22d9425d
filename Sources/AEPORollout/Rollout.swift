import AEPOAgent
import AEPOCore
import AEPOTools
import Foundation

/// Rolls out a batch of questions with one of the three strategies of docs/algorithm.md §2, every question's
/// tree advancing together so that each round's segments of all questions share batched decode steps.
///
/// - `independent`: k roots per question, never branching (docs/algorithm.md §2.1).
/// - `arpo`: m roots; after each tool result an active trajectory branches with `BranchPolicy`'s
///   probability while its question has fewer than k; a question left with no active trajectory gets one
///   fresh root per round (docs/algorithm.md §2.2, `RolloutTree`).
/// - `aepo`: as ARPO with the consecutive-branch penalty of the settings, and m chosen per question by
///   entropy pre-monitoring when `preMonitor` is on: one monitoring trajectory per question (real tool calls),
///   `m = BudgetAllocator.initialRollouts(segmentEntropies:)`, then discarded, its cost reported
///   (docs/algorithm.md §2.3, §2.4).
///
/// A branch is `AgentLoop.branch`: a copy of the parent's state whose backend sequence is a fork (the native
/// engine shares the KV cache; nothing is recomputed) with its own random stream. The report checks it:
/// `branchPrefillRecomputed` = tokens the backend prefilled − (prompts + appended tool results + deferred
/// tokens), from the agent's own counts. Each question's prompt is
/// prefilled once and every trajectory of the question forks it. Trees (and so `H_init`) are new every batch.
///
/// Random streams: question `q` draws from `generator.derived(stream: hash(q.id))`; from it trajectory `j`
/// samples with `.derived(stream: j + 1)`, the monitor with `.derived(stream: 0)` and the branch decisions
/// with `.derived(stream: UInt64.max)`, so a question's rollout does not depend on the rest of its batch.
public final class Rollout {
    public let agent: AgentLoop
    public let settings: RolloutSettings

    public init(agent: AgentLoop, settings: RolloutSettings) {
        self.agent = agent
        self.settings = settings
    }

    /// Rolls out `questions`; returns k trajectories per question, the branch-event log and the costs. `finished`, when
    /// given, hears after every round how many trajectories are finished.
    public func run(_ questions: [Question], generator: SeededGenerator, finished: ((Int) -> Void)? = nil) throws -> RolloutBatch {
        let clock = Date()
        let backend = agent.backend
        let k = settings.trajectoriesPerQuestion
        let streams = questions.map { generator.derived(stream: Self.streamKey($0.id)) }
        var report = RolloutReport()
        report.questions = questions.count
        let before = backend.statistics

        let prompts = try agent.openPrompts(questions)
        defer { prompts.forEach(agent.close) }
        // What must be prefilled: each prompt once and every appended result (counted as they come).
        var appended = prompts.reduce(0) { $0 + $1.tokens.count }

        // m per question.
        var roots = [Int](repeating: settings.strategy == .independent ? k : settings.initialRollouts, count: questions.count)
        if settings.monitors {
            var monitors = prompts.map { agent.start($0, id: 0, generator: streams[$0.questionIndex].derived(stream: 0)) }
            do { try agent.complete(&monitors) } catch {
                monitors.forEach(agent.discard)
                throw error
            }
            let allocator = BudgetAllocator(trajectories: k, beta: settings.budgetBeta)
            roots = monitors.map { allocator.initialRollouts(segmentEntropies: $0.segmentEntropies) }
            report.preMonitorTrajectories = monitors.count
            report.preMonitorTokens = monitors.reduce(0) { $0 + $1.policyTokens }
            report.preMonitorToolCalls = monitors.reduce(0) { $0 + $1.toolCalls.count }
            appended += monitors.reduce(0) { $0 + $1.responseTokens.count - $1.policyTokens }
            monitors.forEach(agent.discard)
        }
        report.initialRollouts = roots
        let afterMonitoring = backend.statistics

        let policy = BranchPolicy(settings: settings.branch)
        var trees = questions.indices.map { RolloutTree(question: $0, budget: k, roots: roots[$0], policy: policy) }
        var decisions = streams.map { $0.derived(stream: UInt64.max) }
        func stream(_ q: Int, _ id: Int) -> SeededGenerator { streams[q].derived(stream: UInt64(id) + 1) }

        var live = prompts.flatMap { p in (0..<roots[p.questionIndex]).map { agent.start(p, id: $0, generator: stream(p.questionIndex, $0)) } }
        var groups = [[Trajectory]](repeating: [], count: questions.count)
        while !live.isEmpty {
            let callsBefore = live.map(\.toolCalls.count), environmentBefore = live.map { $0.responseTokens.count - $0.policyTokens }
            do { try agent.advance(&live) } catch {
                live.forEach(agent.discard)  // the backend is left with no open sequence
                throw error
            }
            report.rounds += 1
            for (i, t) in live.enumerated() {
                report.toolCalls += t.toolCalls.count - callsBefore[i]
                report.toolResultTokens += t.responseTokens.count - t.policyTokens - environmentBefore[i]
            }
            var next: [LiveTrajectory] = []
            var members = [[LiveTrajectory]](repeating: [], count: questions.count)
            for t in live { members[t.questionIndex].append(t) }
            for q in questions.indices where !members[q].isEmpty {
                var ends: [Int: RolloutTree.SegmentEnd] = [:]
                for t in members[q] {
                    let h = t.segments.last?.entropy ?? 0
                    ends[t.id] = t.isActive ? .toolCall(segmentEntropy: h) : .finished(segmentEntropy: h)
                }
                let round = trees[q].endRound(ends, using: &decisions[q])
                for t in members[q] {
                    if t.isActive { next.append(t) } else { groups[q].append(agent.finish(t)) }
                }
                for (child, parent) in round.branches {
                    let source = members[q].first { $0.id == parent }!
                    next.append(agent.branch(source, id: child, generator: stream(q, child)))
                }
                if let fresh = round.freshRoot {
                    next.append(agent.start(prompts[q], id: fresh, generator: stream(q, fresh)))
                }
            }
            live = next
            finished?(groups.reduce(0) { $0 + $1.count })
        }

        let events = trees.flatMap(\.events)
        for q in questions.indices {
            precondition(trees[q].isComplete && groups[q].count == k, "question \(q) ended with \(groups[q].count) of \(k) trajectories")
            groups[q].sort { $0.id < $1.id }
        }
        let after = backend.statistics
        report.trajectories = groups.reduce(0) { $0 + $1.count }
        report.generatedTokens = after.generatedTokens - afterMonitoring.generatedTokens
        report.prefillTokens = after.prefillTokens - before.prefillTokens
        appended += report.toolResultTokens + after.deferredTokens - before.deferredTokens
        report.branchPrefillRecomputed = report.prefillTokens - appended
        report.branches = events.filter(\.taken).count
        report.freshRoots = trees.reduce(0) { total, tree in total + tree.trajectories.filter { $0.parent == nil }.count } - roots.reduce(0, +)
        report.seconds = Date().timeIntervalSince(clock)
        return RolloutBatch(groups: groups, events: events, report: report)
    }

    /// FNV-1a of the question id: the question's stream, independent of its place in the batch.
    static func streamKey(_ id: String) -> UInt64 {
        FNV1a.hash(id)
    }
}
