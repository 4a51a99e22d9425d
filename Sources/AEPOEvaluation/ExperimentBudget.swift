import AEPOBenchmark
import AEPOCore

/// What an experiment fixes for every run it trains: the benchmark, the model and its SFT cold start, the rollout
/// budget and RL schedule, and the evaluation. `aepo demo` and `aepo compare` run a budget through `Experiment`.
public struct ExperimentBudget: NamedRegistry, Sendable {
    public var name: String
    /// One line for `--help` and the README.
    public var summary: String
    public var benchmark: BenchmarkConfiguration
    /// Training keys of both phases (`key=value`): model shape, SFT schedule, rollout budget, optimizer.
    public var training: [String]
    /// Training keys of the RL phase only.
    public var reinforcement: [String]
    /// RL steps per run.
    public var steps: Int
    /// Seeds per algorithm, and per algorithm of `focus` (the comparison's main contenders get more).
    public var seeds: Int
    public var focus: [String]
    public var focusSeeds: Int
    /// Sampled runs per held-out question (n of Pass@k), the k values, questions per suite and split (0: all), and the
    /// suites evaluated (all when empty).
    public var evaluationRuns: Int
    public var ks: [Int]
    public var evaluationQuestions: Int
    public var evaluationSuites: [String] = []

    /// The 1-hop setting of `aepo demo`, sized for under ten minutes on two idle cores: lookup questions over a world far
    /// larger than the model can memorise (8,000 for training), a vocabulary small enough that names split into
    /// syllables, one search result per query, and cold-start demonstrations of which 30 % guess at once without
    /// searching (a wrong answer of the right type), the habit RL must unlearn; a 1 M-parameter Qwen3 trained from
    /// scratch by 1,300 SFT steps (tool output included, so it learns to copy names; 900 steps, or 1,300 of 8
    /// demonstrations, leave it below 10 % Pass@1), then 25 RL steps of 16 questions ×
    /// 8 trajectories sampled at temperature 0.7 (at 1.0 a model this small writes mostly malformed trajectories),
    /// two mini-batch updates per step; 4 evaluation runs of every held-out question.
    public static let demo = ExperimentBudget(
        name: "demo", summary: "the demo: 1-hop lookups, 25 RL steps, every held-out question evaluated 4 times",
        benchmark: BenchmarkConfiguration(
            world: WorldConfiguration(people: 3000, cities: 400, countries: 24, companies: 1200, films: 600, books: 600, universities: 120),
            questions: SuiteSizes(train: 8000, test: 200, testOOD: 100), suites: ["lookup"],
            oracle: OracleConfiguration(checkShare: 0.1, recoveryShare: 0.1, earlyStopShare: 0.05, guessShare: 0.3),
            search: SearchSettings(topK: 1, snippetWords: 20, snippetCharacters: 180, pageCharacters: 600), vocabularySize: 640),
        training: [
            "model.hidden_size=128", "model.intermediate_size=384", "model.num_layers=4", "model.num_heads=4", "model.num_kv_heads=2",
            "model.head_dim=32", "model.max_positions=1024",
            "sft.steps=1300", "sft.batch_size=12", "sft.lr=3e-3", "sft.warmup_steps=30", "sft.tool_output_weight=1",
            "data.train_batch_size=16", "actor.ppo_mini_batch_size=8", "rollout.n=8", "rollout.initial_rollouts=4",
            "rollout.response_length=192", "rollout.max_tool_calls=4", "rollout.temperature=0.7", "actor.optim.lr=1e-4",
            "algorithm.overlong_buffer.len=32",
            "trainer.micro_batch_size=32", "trainer.log_freq=50",
        ],
        reinforcement: ["trainer.log_freq=5"], steps: 25, seeds: 1, focus: [], focusSeeds: 1,
        evaluationRuns: 4, ks: [1, 4], evaluationQuestions: 0)

    /// Eight algorithms × 3 seeds on two idle cores in under an hour: the demo's benchmark, model and SFT cold start
    /// (trained once), then 15 RL steps of the demo's rollout budget per run, each evaluated on 100 questions per split.
    public static let quick = ExperimentBudget(
        name: "quick", summary: "the demo's 1-hop setting, 15 RL steps per run, 100 questions per split evaluated 5 times",
        benchmark: demo.benchmark, training: demo.training, reinforcement: [], steps: 15, seeds: 3, focus: [], focusSeeds: 3,
        evaluationRuns: 5, ks: [1, 5], evaluationQuestions: 100)

    /// The demo's setting with 40 RL steps per run, every held-out question evaluated 5 times.
    public static let full = ExperimentBudget(
        name: "full", summary: "the demo's 1-hop setting with 40 RL steps per run, every held-out question evaluated 5 times",
        benchmark: demo.benchmark, training: demo.training, reinforcement: [], steps: 40, seeds: 3, focus: [], focusSeeds: 3,
        evaluationRuns: 5, ks: [1, 5], evaluationQuestions: 0)

    /// Multi-hop deep search, where AEPO's mechanisms act: 2-hop `bridge` and 3-hop `deep-3hop` questions (two and
    /// three searches, each query built from the previous result) over the demo's world, with 1-hop `lookup` mixed into
    /// the cold start as a curriculum. A search result shows its page's whole text (40 words), so every hop is one
    /// search and one result. The demo's model, 1,000 SFT steps of 16 demonstrations (a start with room to learn: 700 steps reach 11 % Pass@1 on
    /// held-out bridge questions, 1,600 steps 86 %); RL on bridge and deep-3hop, 20 steps
    /// of 16 questions × 8 trajectories at temperature 0.7 with 4 roots per tree (AEPO: m by pre-monitoring) and four
    /// mini-batch updates per step (the paper's update structure at our scale, so the importance ratio leaves 1 and the
    /// clip acts) at lr 5e-5 (the demo's 1e-4 with four updates per step lowers held-out Pass@1; see the README);
    /// 50 held-out questions per suite and split, 4 runs each. Eight algorithms × 3 seeds, 5 for GRPO,
    /// ARPO and AEPO.
    public static let deep = ExperimentBudget(
        name: "deep", summary: "multi-hop deep search (bridge, deep-3hop), 20 RL steps, paired seeds, 5 for grpo, arpo and aepo",
        benchmark: BenchmarkConfiguration(
            world: demo.benchmark.world, questions: SuiteSizes(train: 8000, test: 200, testOOD: 100),
            suites: ["lookup", "bridge", "deep-3hop"],
            oracle: OracleConfiguration(checkShare: 0.1, recoveryShare: 0.1, earlyStopShare: 0.05, guessShare: 0.1),
            search: SearchSettings(topK: 1, snippetWords: 40, snippetCharacters: 320, pageCharacters: 600), vocabularySize: 640),
        training: [
            "model.hidden_size=128", "model.intermediate_size=384", "model.num_layers=4", "model.num_heads=4", "model.num_kv_heads=2",
            "model.head_dim=32", "model.max_positions=1024",
            "sft.steps=1000", "sft.batch_size=16", "sft.lr=3e-3", "sft.warmup_steps=30", "sft.tool_output_weight=1",
            "data.train_batch_size=16", "actor.ppo_mini_batch_size=4", "rollout.n=8", "rollout.initial_rollouts=4",
            "rollout.response_length=256", "rollout.max_tool_calls=6", "rollout.temperature=0.7", "actor.optim.lr=5e-5",
            "algorithm.overlong_buffer.len=32",
            "trainer.micro_batch_size=32", "trainer.log_freq=50",
        ],
        reinforcement: ["data.suites=bridge,deep-3hop", "trainer.log_freq=5"], steps: 20, seeds: 3,
        focus: ["grpo", "arpo", "aepo"], focusSeeds: 5, evaluationRuns: 4, ks: [1, 4], evaluationQuestions: 50,
        evaluationSuites: ["bridge", "deep-3hop"])

    public static let all: [ExperimentBudget] = [demo, quick, full, deep]
    public static let noun = "budget"

    /// The seeds of `algorithm`'s runs when the user asks for `seeds` per algorithm (default: the budget's): 1…n, with
    /// at least `focusSeeds` for the algorithms of `focus`.
    public func seeds(of algorithm: String, requested: Int? = nil) -> [Int] {
        let n = requested ?? seeds
        return Array(1...(focus.contains(algorithm) ? max(n, focusSeeds) : n))
    }
}
