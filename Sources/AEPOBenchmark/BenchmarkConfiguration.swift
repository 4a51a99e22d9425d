import AEPOCore

/// Everything that shapes a generated benchmark besides the seed.
public struct BenchmarkConfiguration: Codable, Equatable, Sendable {
    public var world: WorldConfiguration
    /// Questions per suite and split.
    public var questions: SuiteSizes
    /// Names of the suites to generate (all built-in suites when empty).
    public var suites: [String]
    public var oracle: OracleConfiguration
    public var search: SearchSettings
    /// Vocabulary size of the trained tokenizer (0: write no tokenizer).
    public var vocabularySize: Int

    public init(world: WorldConfiguration, questions: SuiteSizes, suites: [String] = [], oracle: OracleConfiguration = .standard,
                search: SearchSettings = .standard, vocabularySize: Int = 2048) {
        self.world = world
        self.questions = questions
        self.suites = suites
        self.oracle = oracle
        self.search = search
        self.vocabularySize = vocabularySize
    }

    /// About 400 entities and 40 questions per suite: for tests.
    public static let small = BenchmarkConfiguration(world: .small, questions: .small, vocabularySize: 512)
    /// About 3,700 entities, 500 training questions per suite.
    public static let standard = BenchmarkConfiguration(world: .standard, questions: .standard)
    /// About 18,000 entities, 2,500 training questions per suite.
    public static let large = BenchmarkConfiguration(world: .large, questions: .large, vocabularySize: 4096)

    /// The preset called `name` (`small`, `default`, `large`).
    public static func preset(_ name: String, source: String = "--size") throws -> BenchmarkConfiguration {
        switch name {
        case "small": return .small
        case "default", "standard": return .standard
        case "large": return .large
        default: throw InputError("unknown size '\(name)'; expected small, default or large", source: source)
        }
    }

    public func validate(source: String) throws {
        try world.validate(source: source)
        try questions.validate(source: source)
        try oracle.validate(source: source)
        try search.validate(source: source)
        _ = try Suite.named(suites, source: source)
        if vocabularySize != 0 && vocabularySize < 256 + 16 {
            throw InputError("must be 0 (no tokenizer) or at least 272 (256 bytes plus special tokens), got \(vocabularySize)",
                             source: source, field: "vocabularySize")
        }
    }
}
