import AEPOBenchmark
import AEPOTools
import ArgumentParser
import Foundation

/// `aepo data generate`: world, corpus, question suites and SFT demonstrations into one directory.
struct DataGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a benchmark directory: world.json, corpus.jsonl, questions.jsonl, demonstrations.jsonl, tokenizer.json, benchmark.json.",
        discussion: "The same seed and options give a byte-identical directory. Sizes: small (~400 entities, 40 questions per suite), default (~3,700 entities, 700 per suite), large (~18,000 entities, 3,100 per suite); the count options override the preset."
    )

    @Option(help: "Output directory (replaced atomically if it exists).")
    var out: String

    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    @Option(help: "Preset: small, default or large.")
    var size = "default"

    @Option(help: "Suites to generate, comma-separated (default: all of \(Suite.all.map(\.name).joined(separator: ", "))).")
    var suites: String?

    @Option(help: "People in the world.") var people: Int?
    @Option(help: "Cities in the world.") var cities: Int?
    @Option(help: "Countries in the world.") var countries: Int?
    @Option(help: "Companies in the world.") var companies: Int?
    @Option(help: "Films in the world.") var films: Int?
    @Option(help: "Books in the world.") var books: Int?
    @Option(help: "Universities in the world.") var universities: Int?
    @Option(help: "Training questions per suite (each gets one demonstration).") var train: Int?
    @Option(help: "Test questions per suite.") var test: Int?
    @Option(name: .customLong("test-ood"), help: "Out-of-distribution test questions per suite.") var testOOD: Int?
    @Option(name: .customLong("check-share"), help: "Share of demonstrations with an extra confirming call.") var checkShare: Double?
    @Option(name: .customLong("recovery-share"), help: "Share of demonstrations that make a wrong move and recover.") var recoveryShare: Double?
    @Option(name: .customLong("early-stop-share"), help: "Share of demonstrations that stop one step early (wrong answer).") var earlyStopShare: Double?
    @Option(name: .customLong("guess-share"), help: "Share of demonstrations that answer at once with a wrong guess, no tool call.") var guessShare: Double?
    @Option(name: .customLong("top-k"), help: "Pages per search result.") var topK: Int?
    @Option(name: .customLong("snippet-words"), help: "Words per search snippet.") var snippetWords: Int?
    @Option(name: .customLong("snippet-characters"), help: "Characters per search snippet at most.") var snippetCharacters: Int?
    @Option(name: .customLong("vocabulary-size"), help: "Tokens in the trained tokenizer.json (0: write no tokenizer).") var vocabularySize: Int?

    /// The preset with every given option applied.
    func resolvedConfiguration() throws -> BenchmarkConfiguration {
        var config = try BenchmarkConfiguration.preset(size)
        func apply<T>(_ value: T?, _ path: WritableKeyPath<BenchmarkConfiguration, T>) {
            if let value { config[keyPath: path] = value }
        }
        apply(people, \.world.people)
        apply(cities, \.world.cities)
        apply(countries, \.world.countries)
        apply(companies, \.world.companies)
        apply(films, \.world.films)
        apply(books, \.world.books)
        apply(universities, \.world.universities)
        apply(train, \.questions.train)
        apply(test, \.questions.test)
        apply(testOOD, \.questions.testOOD)
        apply(checkShare, \.oracle.checkShare)
        apply(recoveryShare, \.oracle.recoveryShare)
        apply(earlyStopShare, \.oracle.earlyStopShare)
        apply(guessShare, \.oracle.guessShare)
        apply(topK, \.search.topK)
        apply(snippetWords, \.search.snippetWords)
        apply(snippetCharacters, \.search.snippetCharacters)
        apply(vocabularySize, \.vocabularySize)
        apply(suites.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }, \.suites)
        try config.validate(source: "aepo data generate")
        return config
    }

    func run() throws {
        print(try output())
    }

    /// Generates and writes the directory; returns the statistics and where it went.
    func output() throws -> String {
        let start = Date()
        let config = try resolvedConfiguration()
        let benchmark = try Benchmark.generate(seed: seed, configuration: config)
        let url = URL(fileURLWithPath: out)
        try benchmark.write(to: url)
        var lines = [BenchmarkStatistics(benchmark).report(meanTokens: nil)]
        for suite in try Suite.named(config.suites) {
            for split in QuestionSplit.allCases {
                let count = benchmark.questions.filter { $0.suite == suite.name && $0.split == split.rawValue }.count
                if count < config.questions.count(split) {
                    lines.append("warning: \(suite.name) \(split.rawValue) has \(count) of \(config.questions.count(split)) questions; the world is too small for more")
                }
            }
        }
        return (lines + [String(format: "wrote %@ in %.1f s", url.path, Date().timeIntervalSince(start))]).joined(separator: "\n")
    }
}
