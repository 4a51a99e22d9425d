import ArgumentParser

/// `aepo data …`: the built-in benchmark's files.
struct DataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Generate the built-in deep-search benchmark, or show the statistics of a benchmark directory.",
        subcommands: [
            DataGenerate.self,
            DataShow.self,
        ]
    )
}
