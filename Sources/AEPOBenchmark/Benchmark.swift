import AEPOCore
import AEPOTools
import Foundation

/// A generated benchmark: the world, its corpus, the question suites and the oracle's SFT
/// demonstrations (one per training question). Deterministic in the seed and configuration.
public struct Benchmark: Sendable {
    public var seed: UInt64
    public var configuration: BenchmarkConfiguration
    public var world: World
    public var pages: [Page]
    public var corpus: Corpus
    public var questions: [Question]
    public var demonstrations: [Demonstration]
    /// The oracle's plan for every question, by question id.
    var plans: [String: OraclePlan]

    /// Generates the world, corpus, suites and demonstrations. Questions the oracle cannot solve
    /// with the real tools are never kept, so every suite is solvable through the tools.
    public static func generate(seed: UInt64, configuration: BenchmarkConfiguration) throws -> Benchmark {
        try configuration.validate(source: "benchmark configuration")
        let world = WorldGenerator(configuration: configuration.world).generate(seed: seed)
        let pages = CorpusBuilder.pages(for: world)
        let corpus = try Corpus(pages: pages, source: "generated corpus")
        let environment = configuration.search.environment(corpus: corpus)
        let oracle = OracleAgent(environment: environment, world: world)
        let generator = QuestionGenerator(world: world, pages: PhraseIndex(pages: pages), sizes: configuration.questions)
        var questions: [Question] = []
        var plans: [String: OraclePlan] = [:]
        var demonstrations: [Demonstration] = []
        for suite in try Suite.named(configuration.suites, source: "benchmark configuration") {
            // The oracle's run on each accepted draft, by draft key: the demonstration if it lands in `train`.
            var runs: [String: Demonstration] = [:]
            let planned = generator.questions(for: suite, seed: seed) { draft in
                var rng = SeededGenerator(seed: seed).derived(stream: QuestionGenerator.stream(for: draft.key))
                let style = configuration.oracle.drawStyle(using: &rng)
                let probe = Question(id: "", suite: suite.name, split: "", question: draft.question, answers: draft.answers)
                // Only a full direct run proves every step solvable (an early stop skips the last one).
                guard let direct = oracle.run(probe, plan: draft.plan, style: .direct, using: &rng) else { return false }
                let styled = style == .direct ? direct : oracle.run(probe, plan: draft.plan, style: style, using: &rng) ?? direct
                runs[draft.key] = styled.demonstration
                return true
            }
            for item in planned {
                questions.append(item.question)
                plans[item.question.id] = item.plan
                if item.question.split == QuestionSplit.train.rawValue, var demonstration = runs[item.key] {
                    demonstration.id = item.question.id
                    demonstrations.append(demonstration)
                }
            }
        }
        return Benchmark(seed: seed, configuration: configuration, world: world, pages: pages, corpus: corpus,
                         questions: questions, demonstrations: demonstrations, plans: plans)
    }

    /// The tools (`search`, `open`, `python`) over this benchmark's corpus, with its settings.
    public var environment: ToolEnvironment { configuration.search.environment(corpus: corpus) }
}
