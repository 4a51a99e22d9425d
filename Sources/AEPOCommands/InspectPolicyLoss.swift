import AEPOAlgorithms
import ArgumentParser

/// `aepo inspect policy-loss --input FILE`: a policy loss and its gradient for given B×T inputs.
struct InspectPolicyLoss: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy-loss",
        abstract: "Print a policy loss and d loss / d log_probs for given inputs, as JSON.",
        discussion: """
        FILE holds one JSON object or an array of them, each with `loss` (ppo-clip|gspo|cispo|gppo|ebpo), \
        `clip_ratio_low`, `clip_ratio_high`, `clip_ratio_c`, optional `gppo_beta_low`/`gppo_beta_high`, optional \
        `entropy_advantage_coef` (transforms `advantages` by A·(1 + a·z(H)) with `entropies` first), \
        `loss_agg_mode` (token-mean|seq-mean-token-sum|seq-mean-token-mean) and the B×T arrays `old_log_probs`, \
        `log_probs`, `advantages`, `mask`, `entropies`. Prints {"loss": x, "grad_log_probs": [[…]]} for each, \
        as one object or an array to match.
        """
    )

    @Option(name: .long, help: "JSON file with one case or an array of cases (- for standard input).")
    var input: String

    func output() throws -> String {
        let file = InputFile(input)
        return try JSONCases.answer(PolicyLossRequest.self, file: file) { try $0.evaluate(source: file.name, fieldPrefix: $1) }
    }

    func run() throws {
        print(try output())
    }
}
