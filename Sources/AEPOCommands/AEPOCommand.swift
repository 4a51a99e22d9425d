import ArgumentParser

/// `aepo`: train tool-using language-model agents with reinforcement learning (AEPO and its baselines).
public struct AEPOCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "aepo",
        abstract: "Train tool-using language-model agents with entropy-balanced reinforcement learning.",
        subcommands: [
            Inspect.self,
            Bench.self,
            DataCommand.self,
            DemoCommand.self,
            SFTCommand.self,
            TrainCommand.self,
            RolloutCommand.self,
            EvalCommand.self,
            ReportCommand.self,
            TensorBoardCommand.self,
            CompareCommand.self,
            ServeCommand.self,
            MergeCommand.self,
        ]
    )

    public init() {}
}
