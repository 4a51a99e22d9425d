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

    /// The paired difference `reference − entry` over the seeds both finished (runs of the same name, e.g.
    /// `seed-2`, started from the same checkpoint with the same data order), on `suite`'s Pass@k.
    public func pairedDifference(_ reference: Entry, _ entry: Entry, suite: String, k: Int) -> SeedStatistics {
        let baseline = Dictionary(entry.runs.compactMap { run in Self.passAt(k, of: run, suite: suite).map { (run.name, $0) } },
                                  uniquingKeysWith: { first, _ in first })
        return SeedStatistics(reference.runs.compactMap { run in
            guard let value = Self.passAt(k, of: run, suite: suite), let other = baseline[run.name] else { return nil }
            return value - other
        })
    }

    /// The paired differences `reference − X` for every other algorithm X (rows) and every suite × Pass@k (columns):
    /// `±mean ± 95 % half-width` in points, with `significant` wrapping the cells whose interval excludes 0 (the others
    /// are ties); `nil` when `reference` is not compared.
    public func pairedTable(reference name: String, significant: (String) -> String) -> TextTable? {
        baselineTable(reference: name) { $0.excludesZero ? significant($0.signedPoints) : $0.signedPoints }
    }

    /// For each baseline and column, the smallest paired difference the design detects (80 % power, two-sided 5 %),
    /// from the spread of the observed differences; `nil` when `reference` is not compared.
    public func detectableTable(reference name: String) -> TextTable? {
        baselineTable(reference: name) { $0.minimumDetectable.map(TextTable.percent) ?? "–" }
    }

    /// One row per baseline X (its pairs, then `cell` of `reference − X` per suite × Pass@k column).
    private func baselineTable(reference name: String, cell: (SeedStatistics) -> String) -> TextTable? {
        guard let reference = entries.first(where: { $0.algorithm == name }) else { return nil }
        let columns = suites.flatMap { suite in ks.map { (suite, $0) } }
        return TextTable(
            header: ["\(name) − X", "pairs"] + columns.map { "\($0.0) Pass@\($0.1)" },
            rows: entries.filter { $0.algorithm != name }.map { entry in
                let cells = columns.map { pairedDifference(reference, entry, suite: $0.0, k: $0.1) }
                return [entry.algorithm, String(cells.first?.seeds ?? 0)] + cells.map(cell)
            })
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

    /// The analyses per algorithm, each a mean over seeds: entropy of the trained tokens at the first and last step and
    /// the largest change between steps, tool calls per trajectory, the update's high-side clip share (all tokens, then
    /// per entropy quartile, lowest first), the entropy-aware advantage's mean factor on the highest-entropy quarter and
    /// its largest factor, branches per question and the top-3-root share (from training metrics); and from each run's
    /// rollout logs (every training step, when present) the longest run of consecutive branching rounds, the share of
    /// branch decisions the consecutive-branch penalty lowers (counter l ≥ 1), and the sampling diversity per group
    /// (distinct answers, distinct tool-call sequences, mean pairwise Jaccard distance of the policy tokens).
    public var analysesTable: TextTable {
        func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
        func seedMean(_ entry: Entry, format: String = "%.3f", _ value: (RunLog) -> Double?) -> String {
            mean(entry.runs.compactMap(value)).map { String(format: format, $0) } ?? "–"
        }
        func metricMean(_ run: RunLog, _ metric: String) -> Double? { mean(run.metrics.series(metric).map(\.value)) }
        func entropyEnds(_ entry: Entry) -> String {
            let first = seedMean(entry) { EntropyDynamics($0.metrics).entropy.first }
            let last = seedMean(entry) { EntropyDynamics($0.metrics).entropy.last }
            return first == "–" ? "–" : "\(first) → \(last)"
        }
        func clipQuartiles(_ entry: Entry) -> String {
            let quartiles = (0..<4).map { q in
                seedMean(entry, format: "%.4f") { run in EntropyClipping(run.metrics).steps.isEmpty ? nil : EntropyClipping(run.metrics).meanShares[q] }
            }
            return quartiles.contains("–") ? "–" : quartiles.joined(separator: " / ")
        }
        func entropyFactors(_ entry: Entry) -> String {
            let q4 = seedMean(entry, format: "%.2f") { metricMean($0, MetricKey.entropyAdvantageWeightTopQuartile) }
            let largest = seedMean(entry, format: "%.2f") { metricMean($0, MetricKey.entropyAdvantageWeightMax) }
            return q4 == "–" ? "–" : "\(q4) / \(largest)"
        }
        return TextTable(
            header: ["algorithm", "entropy (first → last)", "largest entropy jump", "tool calls", "high clips", "high clips by entropy q1 / q2 / q3 / q4",
                     "entropy-aware factor q4 / max",
                     "branches / question", "top-3 root share", "longest branching run", "decisions at l ≥ 1", "distinct answers", "distinct tool sequences",
                     "Jaccard distance"],
            rows: entries.map { entry in
                [entry.algorithm,
                 entropyEnds(entry),
                 seedMean(entry) { run in EntropyDynamics(run.metrics).entropy.isEmpty ? nil : EntropyDynamics(run.metrics).largestStepChange },
                 seedMean(entry) { metricMean($0, MetricKey.toolCalls) },
                 seedMean(entry, format: "%.4f") { metricMean($0, MetricKey.clipHigh) },
                 clipQuartiles(entry),
                 entropyFactors(entry),
                 seedMean(entry) { metricMean($0, MetricKey.branchesPerQuestion) },
                 seedMean(entry) { metricMean($0, MetricKey.topThreeRootShare) },
                 seedMean(entry) { $0.branchEvents.isEmpty ? nil : Double(OverBranching($0.branchEvents).runLengths.count - 1) },
                 seedMean(entry) { $0.branchEvents.isEmpty ? nil : OverBranching($0.branchEvents).penalisedShare },
                 seedMean(entry) { $0.groups.isEmpty ? nil : SamplingDiversity.mean($0.groups.map(SamplingDiversity.init)).answers },
                 seedMean(entry) { $0.groups.isEmpty ? nil : SamplingDiversity.mean($0.groups.map(SamplingDiversity.init)).toolCallSequences },
                 seedMean(entry) { $0.groups.isEmpty ? nil : SamplingDiversity.mean($0.groups.map(SamplingDiversity.init)).jaccard }]
            })
    }

    /// The Markdown section: settings line, the table (best in bold), the paired differences against `reference`
    /// (when it is compared) and the analyses.
    public func markdown(settings: String, reference: String = "aepo") -> String {
        var paired = ""
        if let differences = pairedTable(reference: reference, significant: { "**\($0)**" }),
           let detectable = detectableTable(reference: reference) {
            paired = """
            ## Paired differences \(reference) − X

            Seed s of every algorithm starts from the same checkpoint with the same data order, so each baseline is compared
            seed by seed: mean of `\(reference)(s) − X(s)` in points ± the 95 % half-width (Student's t, n − 1 degrees of
            freedom); **bold** where the interval excludes 0 (significant at 5 %, two-sided), the others are ties (so is
            a difference without spread, the same in every pair: its interval of width 0 tests nothing).

            \(differences.markdown)
            Smallest difference this design detects with 80 % power (two-sided, 5 %): `(t₀.₉₇₅ + t₀.₈₀) · s_d / √n` in
            points, from the observed spread s_d of the paired differences (– without a spread).

            \(detectable.markdown)

            """
        }
        return """
        # Comparison

        \(settings)

        Pass@k in percent, mean ± 95 % confidence half-width over seeds (Student's t); best mean per column in bold
        (ties at the top all bold; none when the whole column ties). The `\(Self.startLabel)` row, when present, is the
        checkpoint every run starts from, evaluated the same way.

        \(table { "**\($0)**" }.markdown)
        \(paired)## Analyses (means over seeds and steps)

        \(analysesTable.markdown)
        """
    }
}
