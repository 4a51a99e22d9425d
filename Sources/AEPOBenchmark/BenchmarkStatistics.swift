import AEPOTools
import Foundation

/// The figures `aepo data show` prints: entities by kind, pages, questions per suite and split,
/// demonstrations by style, their mean length and tool calls.
public struct BenchmarkStatistics: Sendable {
    public var entitiesByKind: [(kind: String, count: Int)]
    public var pages: Int
    /// Questions by suite, then split; suites and splits in order of first appearance.
    public var questionsBySuite: [(suite: String, splits: [(split: String, count: Int)])]
    public var demonstrations: Int
    public var demonstrationsByStyle: [(style: String, count: Int)]
    /// Mean characters per demonstration trajectory.
    public var meanDemonstrationCharacters: Double
    /// Mean tool calls per demonstration.
    public var meanToolCalls: Double

    public init(_ data: BenchmarkDirectory) {
        self.init(world: data.world, pages: data.corpus.pages.count, questions: data.questions, demonstrations: data.demonstrations)
    }

    public init(_ benchmark: Benchmark) {
        self.init(world: benchmark.world, pages: benchmark.pages.count, questions: benchmark.questions, demonstrations: benchmark.demonstrations)
    }

    init(world: World?, pages: Int, questions: [Question], demonstrations: [Demonstration]) {
        let kinds = EntityKind.allCases.map { kind in (kind.rawValue, world?.ids(of: kind).count ?? 0) }
        entitiesByKind = kinds.filter { $0.1 > 0 }.map { (kind: $0.0, count: $0.1) }
        self.pages = pages
        questionsBySuite = Self.grouped(questions.map(\.suite)).map { suite, _ in
            (suite: suite, splits: Self.grouped(questions.filter { $0.suite == suite }.map(\.split)).map { (split: $0.0, count: $0.1) })
        }
        self.demonstrations = demonstrations.count
        demonstrationsByStyle = DemonstrationStyle.allCases.map { style in (style: style.rawValue, count: demonstrations.filter { $0.style == style }.count) }
            .filter { $0.count > 0 }
        let count = Double(max(1, demonstrations.count))
        meanDemonstrationCharacters = Double(demonstrations.map(\.text.count).reduce(0, +)) / count
        meanToolCalls = Double(demonstrations.map { $0.pieces.filter { $0.role == .environment }.count }.reduce(0, +)) / count
    }

    /// Distinct values in order of first appearance, with their counts.
    static func grouped(_ values: [String]) -> [(String, Int)] {
        var order: [String] = []
        var counts: [String: Int] = [:]
        for value in values {
            if counts[value] == nil { order.append(value) }
            counts[value, default: 0] += 1
        }
        return order.map { ($0, counts[$0]!) }
    }

    /// A plain-text report; `meanTokens` (from the benchmark's tokenizer) is shown when given.
    public func report(meanTokens: Double?) -> String {
        var lines: [String] = []
        if !entitiesByKind.isEmpty {
            lines.append("entities: \(entitiesByKind.map(\.count).reduce(0, +)) (" + entitiesByKind.map { "\($0.kind) \($0.count)" }.joined(separator: ", ") + ")")
        }
        lines.append("pages: \(pages)")
        let splits = Self.grouped(questionsBySuite.flatMap { $0.splits.map(\.split) }).map(\.0)
        let width = max(5, questionsBySuite.map(\.suite.count).max() ?? 5)
        lines.append("questions:")
        lines.append("  " + "suite".padding(width) + splits.map { " " + $0.padding(9, left: true) }.joined() + " " + "total".padding(9, left: true))
        for (suite, counts) in questionsBySuite {
            let family = Suite.all.first { $0.name == suite }.map { "  (\($0.family.rawValue))" } ?? ""
            let cells = splits.map { split in String(counts.first { $0.split == split }?.count ?? 0).padding(9, left: true) }
            lines.append("  " + suite.padding(width) + cells.map { " " + $0 }.joined() + " " + String(counts.map(\.count).reduce(0, +)).padding(9, left: true) + family)
        }
        if demonstrations > 0 {
            lines.append("demonstrations: \(demonstrations) (" + demonstrationsByStyle.map { "\($0.style) \($0.count)" }.joined(separator: ", ") + ")")
            var length = "  mean length: \(Int(meanDemonstrationCharacters.rounded())) characters"
            if let meanTokens { length += ", \(Int(meanTokens.rounded())) tokens" }
            lines.append(length + String(format: ", %.1f tool calls", meanToolCalls))
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    /// The string padded with spaces to `width` (on the left when `left`).
    func padding(_ width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - count))
        return left ? fill + self : self + fill
    }
}
