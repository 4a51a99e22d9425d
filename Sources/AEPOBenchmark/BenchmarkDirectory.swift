import AEPOCore
import AEPOTokenizer
import AEPOTools
import Foundation

/// The files of a benchmark directory, and reading them back. `corpus.jsonl` and
/// `questions.jsonl` are required (a user can bring their own in the same formats); the world,
/// demonstrations, tokenizer and manifest are optional.
public struct BenchmarkDirectory: Sendable {
    public static let manifestFile = "benchmark.json"
    public static let worldFile = "world.json"
    public static let corpusFile = "corpus.jsonl"
    public static let questionsFile = "questions.jsonl"
    public static let demonstrationsFile = "demonstrations.jsonl"
    public static let tokenizerFile = "tokenizer.json"

    public var url: URL
    public var manifest: BenchmarkManifest?
    public var world: World?
    public var corpus: Corpus
    public var questions: [Question]
    public var demonstrations: [Demonstration]
    /// Path of `tokenizer.json` when the directory has one.
    public var tokenizerURL: URL?

    /// The tools over this directory's corpus, with the search settings it was generated with
    /// (the standard settings for a directory without a manifest).
    public var environment: ToolEnvironment {
        (manifest?.configuration.search ?? .standard).environment(corpus: corpus)
    }

    /// The suites of the questions, in order of first appearance.
    public var suiteNames: [String] {
        var seen: Set<String> = []
        return questions.map(\.suite).filter { seen.insert($0).inserted }
    }

    /// Checks that each of `names` is a suite of this directory; an unknown one is an error that names it and
    /// lists the suites there are.
    public func checkSuites(_ names: [String], field: String) throws {
        let known = suiteNames
        if let unknown = names.first(where: { !known.contains($0) }) {
            throw InputError("unknown suite '\(unknown)'; this benchmark's suites are \(known.joined(separator: ", "))",
                             source: url.path, field: field)
        }
    }

    /// Reads every file present; errors name the file (and line, for JSON Lines).
    public static func load(from url: URL) throws -> BenchmarkDirectory {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw InputError("not a directory", source: url.path)
        }
        func file(_ name: String) -> URL? {
            let path = url.appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: path.path) ? path : nil
        }
        guard let corpusURL = file(corpusFile) else {
            throw InputError("missing \(corpusFile) (JSON Lines of {\"title\": …, \"text\": …})", source: url.path)
        }
        guard let questionsURL = file(questionsFile) else {
            throw InputError("missing \(questionsFile) (JSON Lines of {\"question\": …, \"answers\": [...]})", source: url.path)
        }
        return BenchmarkDirectory(url: url, manifest: try file(manifestFile).map { try decodeJSON(BenchmarkManifest.self, from: $0) },
                                  world: try file(worldFile).map { try decodeJSON(World.self, from: $0) },
                                  corpus: try Corpus.load(from: corpusURL), questions: try Question.load(from: questionsURL),
                                  demonstrations: try file(demonstrationsFile).map(loadDemonstrations) ?? [],
                                  tokenizerURL: file(tokenizerFile))
    }

    /// Reads `demonstrations.jsonl`, checking that every trajectory is well formed.
    public static func loadDemonstrations(from url: URL) throws -> [Demonstration] {
        let format = TrajectoryFormat()
        return try JSONLines.readNumbered(Demonstration.self, from: url).map { line, demonstration in
            let parsed = format.parse(pieces: demonstration.trajectoryPieces)
            if let problem = parsed.problem {
                throw InputError("broken trajectory: \(problem)", source: url.path, line: line, field: "pieces")
            }
            return demonstration
        }
    }

    static func decodeJSON<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        guard let data = try? Data(contentsOf: url) else { throw InputError("cannot read file", source: url.path) }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw InputError(JSONLines.describe(error), source: url.path)
        }
    }

    /// Sorted keys, no escaped slashes: the same value always gives the same bytes.
    static func encodeJSON<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(value)
        data.append(0x0A)
        return data
    }
}

extension Benchmark {
    /// Writes the benchmark directory atomically (built aside, then moved into place): manifest,
    /// world, corpus, questions, demonstrations and, unless `configuration.vocabularySize` is 0,
    /// `tokenizer.json` trained on them (`BenchmarkTokenizer`).
    public func write(to url: URL) throws {
        let tokenizer = configuration.vocabularySize > 0
            ? try BenchmarkTokenizer.train(on: self, vocabularySize: configuration.vocabularySize).jsonData() : nil
        let manifest = BenchmarkManifest(format: BenchmarkManifest.currentFormat, seed: seed, configuration: configuration,
                                         entities: world.entities.count, pages: pages.count, questions: questions.count,
                                         demonstrations: demonstrations.count, tokenizer: tokenizer != nil)
        try AtomicFile.writeDirectory(at: url) { directory in
            try AtomicFile.write(try BenchmarkDirectory.encodeJSON(manifest), to: directory.appendingPathComponent(BenchmarkDirectory.manifestFile))
            try AtomicFile.write(try BenchmarkDirectory.encodeJSON(world), to: directory.appendingPathComponent(BenchmarkDirectory.worldFile))
            try JSONLines.write(pages, to: directory.appendingPathComponent(BenchmarkDirectory.corpusFile))
            try JSONLines.write(questions, to: directory.appendingPathComponent(BenchmarkDirectory.questionsFile))
            try JSONLines.write(demonstrations, to: directory.appendingPathComponent(BenchmarkDirectory.demonstrationsFile))
            if let tokenizer {
                try AtomicFile.write(tokenizer, to: directory.appendingPathComponent(BenchmarkDirectory.tokenizerFile))
            }
        }
    }
}
