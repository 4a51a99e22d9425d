@testable import AEPOBenchmark
import AEPOCore
import AEPOTools

/// The oracle of a generated benchmark, to check its questions through the real tools.
extension Benchmark {
    /// An oracle over this benchmark's world and tools.
    var oracle: OracleAgent { OracleAgent(environment: environment, world: world) }

    /// The oracle's run on one of this benchmark's questions, in a style drawn from `configuration`
    /// (a random stream of the question's own, so the result does not depend on which others are run).
    func demonstrate(_ question: Question, oracle: OracleAgent, configuration: OracleConfiguration) -> OracleAgent.Run? {
        guard let plan = plans[question.id] else { return nil }
        var rng = SeededGenerator(seed: seed).derived(stream: QuestionGenerator.stream(for: question.id))
        let style = configuration.drawStyle(using: &rng)
        return oracle.run(question, plan: plan, style: style, using: &rng)
            ?? oracle.run(question, plan: plan, style: .direct, using: &rng)
    }
}
