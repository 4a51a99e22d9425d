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
}
