import ArgumentParser

/// `aepo inspect …`: conformance views of the engine, tokenizer and losses, printed as JSON.
struct Inspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print model logits, tokenizations, losses and advantages as JSON for conformance checks.",
        subcommands: [
            InspectTokenize.self,
            InspectTrainTokenizer.self,
            InspectLogits.self,
            InspectPolicyLoss.self,
            InspectAdvantages.self,
        ]
    )
}
