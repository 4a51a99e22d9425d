import AEPOBenchmark
import AEPOEvaluation

/// The settings an `aepo compare` budget fixes for every algorithm: the benchmark it generates, the model and
/// SFT cold start, the rollout budget and the evaluation.
enum ComparisonBudget: String, CaseIterable {
    /// Meant to finish 8 algorithms × 3 seeds on two idle cores in under an hour: the demo's benchmark, model and
    /// SFT cold start (trained once), then 15 RL steps of the demo's rollout budget per run, each evaluated on
    /// 100 questions per split.
    case quick
    /// The demo's schedule for every run: 40 RL steps of 16 questions × 8 trajectories, every test question.
    case full

    /// The demo's benchmark, in both budgets.
    var benchmark: BenchmarkConfiguration { Demo.defaultBenchmark }

    /// Settings every run shares: the demo's model, SFT and rollout budget (16 questions × 8 trajectories per step).
    var training: [String] { Demo.defaultSettings }

    var steps: Int { self == .quick ? 15 : 40 }
    /// Questions per suite and split evaluated (0: all).
    var evaluationQuestions: Int { self == .quick ? 100 : 0 }
}
