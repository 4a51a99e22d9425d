/// How an oracle demonstration goes.
public enum DemonstrationStyle: String, Codable, CaseIterable, Sendable {
    /// Straight to the answer.
    case direct
    /// Straight to the answer, then one extra confirming tool call.
    case checked
    /// A plausible wrong first move (a similar name, a mistyped operator), noticed and corrected.
    case recovered
    /// Stops one step early and answers with an intermediate fact: wrong on purpose.
    case earlyStop = "early-stop"
    /// Answers at once from memory, without a tool call, with a wrong answer of the right type (another
    /// entity of the answer's kind, or a nearby number): the habit a model brings from pre-training
    /// that RL has to unlearn, since guesses never pay on questions it has not seen.
    case guessed
}
