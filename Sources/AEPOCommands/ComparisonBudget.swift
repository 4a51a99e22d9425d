import AEPOBenchmark
import AEPOEvaluation

/// The settings an `aepo compare` budget fixes for every algorithm: the benchmark it generates, the model and
/// SFT cold start, the rollout budget and the evaluation.
enum ComparisonBudget: String, CaseIterable {
    /// Meant to finish 8 algorithms × 3 seeds on two idle cores in about an hour (not yet measured end to end):
    /// the demo's benchmark, model and SFT cold start (trained once), then a few short RL steps per run.
    case quick
    /// The demo's schedule for every run: 40 RL steps of 16 questions × 8 trajectories, every test question.
    case full

    var benchmark: BenchmarkConfiguration {
        var configuration = Demo.defaultBenchmark
        if self == .quick { configuration.questions = SuiteSizes(train: 1000, test: 30, testOOD: 30) }
        return configuration
    }

    /// Settings every run shares (model shape and SFT from the demo, then the rollout budget).
    var training: [String] {
        switch self {
        case .quick:
            return Demo.defaultSettings + ["data.train_batch_size=8", "actor.ppo_mini_batch_size=8",
                                           "rollout.n=4", "rollout.initial_rollouts=2", "rollout.response_length=128"]
        case .full:
            return Demo.defaultSettings
        }
    }

    var steps: Int { self == .quick ? 4 : 40 }
    /// Questions per suite and split evaluated (0: all).
    var evaluationQuestions: Int { self == .quick ? 30 : 0 }
}
