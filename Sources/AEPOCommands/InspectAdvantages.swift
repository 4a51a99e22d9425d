import AEPOAlgorithms
import ArgumentParser

/// `aepo inspect advantages --input FILE`: advantages of an estimator for given scores, groups and mask.
struct InspectAdvantages: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "advantages",
        abstract: "Print the B×T advantages of an estimator for given scores, group ids and mask, as JSON.",
        discussion: """
        FILE holds one JSON object or an array of them, each with `estimator` \
        (grpo|grpo-no-std|reinforce++|reinforce++-baseline|rloo), `scores` (one per sequence; the reward sits \
        on its last valid token), `group_ids`, the B×T `mask`, optional `gamma` (reinforce++, default 1) and \
        optional `singleton_group` (verl: a lone sequence keeps its score, the reference library's rule and the \
        default here; zero: its advantage is 0). Prints {"advantages": [[…]]} for each, as one object or an \
        array to match.
        """
    )

    @Option(name: .long, help: "JSON file with one case or an array of cases (- for standard input).")
    var input: String

    func output() throws -> String {
        let file = InputFile(input)
        return try JSONCases.answer(AdvantageRequest.self, file: file) { try $0.evaluate(source: file.name, fieldPrefix: $1) }
    }

    func run() throws {
        print(try output())
    }
}
