import Foundation

/// The figures of an `aepo compare`: per algorithm, the evaluation and the training log of every seed,
/// aggregated into the paper-like table (rows = algorithms, columns = suites × Pass@1/Pass@k, mean ± 95 % CI
/// over seeds, best mean per column marked unless the column ties) and the analyses side by side.
public struct AlgorithmComparison: Sendable {
    public struct Entry: Sendable {
        public var algorithm: String
        /// One run per finished seed.
        public var runs: [RunLog]

        public init(algorithm: String, runs: [RunLog]) {
            self.algorithm = algorithm
            self.runs = runs
        }
    }

    public var entries: [Entry]
    public var ks: [Int]
    /// The checkpoint every run starts from, evaluated the same way: the table's first row, never marked.
    public var start: RunLog?

    public init(entries: [Entry], ks: [Int], start: RunLog? = nil) {
        self.entries = entries
        self.ks = ks
        self.start = start
    }

    /// The label of the starting checkpoint's row.
    public static let startLabel = "SFT start"

    /// Suites in the order of the first evaluation.
    public var suites: [String] {
        entries.lazy.flatMap(\.runs).compactMap(\.evaluation).first?.suites.map(\.suite) ?? []
    }

    /// `statistics(algorithm, suite, k)` over the algorithm's seeds (k = 1 is Pass@1).
    public func statistics(_ entry: Entry, suite: String, k: Int) -> SeedStatistics {
        SeedStatistics(entry.runs.compactMap { Self.passAt(k, of: $0, suite: suite) })
    }

    /// A run's Pass@k (k = 1: Pass@1) on `suite`, if it was evaluated there.
    private static func passAt(_ k: Int, of run: RunLog, suite: String) -> Double? {
        run.evaluation?.suites.first { $0.suite == suite }.map { k == 1 ? $0.passAt1 : $0.passAtK[String(k)] ?? 0 }
    }

    /// The paper-like table; `mark` wraps the best mean of each column: every cell at the column's highest mean
    /// (ties at the top all marked), and none when the column's cells all tie (e.g. every algorithm at 0).
    /// With a `start`, its figures come first, in a row of their own that is never marked.
    public func table(mark: (String) -> String) -> TextTable {
        let columns = suites.flatMap { suite in ks.map { (suite, $0) } }
        let cells = entries.map { entry in columns.map { statistics(entry, suite: $0.0, k: $0.1) } }
        let best = columns.indices.map { c -> Double? in
            let means = cells.map { $0[c] }.filter { $0.seeds > 0 }.map(\.mean)
            guard let top = means.max(), let bottom = means.min(), top > bottom else { return nil }
            return top
        }
        let startRow = start.map { run in
            [Self.startLabel, "–"] + columns.map { SeedStatistics([Self.passAt($0.1, of: run, suite: $0.0)].compactMap { $0 }).percent }
        }
        return TextTable(
            header: ["algorithm", "seeds"] + columns.map { "\($0.0) Pass@\($0.1)" },
            rows: (startRow.map { [$0] } ?? []) + entries.indices.map { row in
                [entries[row].algorithm, String(entries[row].runs.count)] + columns.indices.map { c in
                    let cell = cells[row][c]
                    return cell.seeds > 0 && cell.mean == best[c] ? mark(cell.percent) : cell.percent
                }
            })
    }

    /// The analyses per algorithm, each a mean over seeds: last-step entropy and largest entropy jump, tool calls
    /// per trajectory, the highest-entropy quartile's high-side clip share, branches per question and the top-3-root
    /// share (from training metrics); and from each run's rollout logs (every training step, when present) the
    /// longest run of consecutive branching rounds and the sampling diversity per group (distinct answers, distinct
    /// tool-call sequences, mean pairwise Jaccard distance of the policy tokens).
    public var analysesTable: TextTable {
        func seedMean(_ entry: Entry, _ value: (RunLog) -> Double?) -> String {
            let values = entry.runs.compactMap(value)
            return values.isEmpty ? "–" : String(format: "%.3f", values.reduce(0, +) / Double(values.count))
        }
        func metricMean(_ run: RunLog, _ metric: String) -> Double? {
            let values = run.metrics.series(metric).map(\.value)
            return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        }
        return TextTable(
            header: ["algorithm", "entropy (last)", "largest entropy jump", "tool calls", "q4 high clips", "branches / question", "top-3 root share",
                     "longest branching run", "distinct answers", "distinct tool sequences", "Jaccard distance"],
            rows: entries.map { entry in
                [entry.algorithm,
                 seedMean(entry) { EntropyDynamics($0.metrics).entropy.last },
                 seedMean(entry) { run in EntropyDynamics(run.metrics).entropy.isEmpty ? nil : EntropyDynamics(run.metrics).largestStepChange },
                 seedMean(entry) { metricMean($0, MetricKey.toolCalls) },
                 seedMean(entry) { run in EntropyClipping(run.metrics).steps.isEmpty ? nil : EntropyClipping(run.metrics).meanShares[3] },
                 seedMean(entry) { metricMean($0, MetricKey.branchesPerQuestion) },
                 seedMean(entry) { metricMean($0, MetricKey.topThreeRootShare) },
                 seedMean(entry) { $0.branchEvents.isEmpty ? nil : Double(OverBranching($0.branchEvents).runLengths.count - 1) },
                 seedMean(entry) { $0.groups.isEmpty ? nil : SamplingDiversity.mean($0.groups.map(SamplingDiversity.init)).answers },
                 seedMean(entry) { $0.groups.isEmpty ? nil : SamplingDiversity.mean($0.groups.map(SamplingDiversity.init)).toolCallSequences },
                 seedMean(entry) { $0.groups.isEmpty ? nil : SamplingDiversity.mean($0.groups.map(SamplingDiversity.init)).jaccard }]
            })
    }

    /// The Markdown section: settings line, the table (best in bold) and the analyses.
    public func markdown(settings: String) -> String {
        """
        # Comparison

        \(settings)

        Pass@k in percent, mean ± 95 % confidence half-width over seeds (Student's t); best mean per column in bold
        (ties at the top all bold; none when the whole column ties). The `\(Self.startLabel)` row, when present, is the
        checkpoint every run starts from, evaluated the same way.

        \(table { "**\($0)**" }.markdown)
        ## Analyses (means over seeds and steps)

        \(analysesTable.markdown)
        """
    }
}
