/// `benchmark.json`: how a benchmark directory was generated and what it holds.
public struct BenchmarkManifest: Codable, Equatable, Sendable {
    /// Version of the directory layout.
    public var format: Int
    public var seed: UInt64
    public var configuration: BenchmarkConfiguration
    public var entities: Int
    public var pages: Int
    public var questions: Int
    public var demonstrations: Int
    /// Whether `tokenizer.json` was written.
    public var tokenizer: Bool

    public static let currentFormat = 1
}
