import ArgumentParser

/// `aepo inspect …`: conformance views of the engine, tokenizer and losses, printed as JSON.
struct Inspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print model logits, tokenizations, losses, advantages, tool outputs and rewards as JSON for conformance checks.",
        subcommands: [
            InspectTokenize.self,
            InspectTrainTokenizer.self,
            InspectLogits.self,
            InspectPolicyLoss.self,
            InspectAdvantages.self,
            InspectTool.self,
            InspectReward.self,
        ]
    )
}
