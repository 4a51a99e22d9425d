import AEPOCore
import AEPOTools
import ArgumentParser
import Foundation

/// `aepo inspect reward --trajectory FILE --answer A …`: the format check and reward of one trajectory.
struct InspectReward: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reward",
        abstract: "Check a trajectory's format and print its reward as JSON.",
        discussion: """
        FILE holds the trajectory text after the prompt (<think>, <search>/<open>/<python>, <result>, \
        <answer> with \\boxed{}). From text alone a <result> right after a tool call counts as the \
        environment's. Prints {"parsed": {"tool_calls", "answer", "problem"}, "reward": {"f1", "bonus", \
        "value", "exact_match", "problem"}}.
        """
    )

    @Option(name: .long, help: "Text file with the trajectory (- for standard input).")
    var trajectory: String

    @Option(name: .long, help: "An accepted answer (repeat for aliases).")
    var answer: [String] = []

    func output() throws -> String {
        guard !answer.isEmpty else { throw InputError("give at least one --answer", source: "--answer") }
        let text = try InputFile(trajectory).text()
        let kinds: [String: ToolKind] = ["search": .search, "open": .search, "python": .calculator]
        let parsed = TrajectoryFormat().parse(text)
        let reward = Reward.score(parsed, answers: answer) { kinds[$0] ?? .other }
        return try JSONText.encode(Report(parsed: parsed, reward: reward))
    }

    private struct Report: Encodable {
        var parsed: ParsedTrajectory
        var reward: Reward.Breakdown
    }

    func run() throws {
        print(try output())
    }
}
