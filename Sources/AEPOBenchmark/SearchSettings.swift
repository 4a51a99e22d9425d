import AEPOCore
import AEPOTools

/// The benchmark's tool settings: small top-k and short snippets keep trajectories a few hundred
/// tokens long, which a small model can be trained on.
public struct SearchSettings: Codable, Equatable, Sendable {
    /// Pages per `search` result.
    public var topK: Int
    /// Words per snippet.
    public var snippetWords: Int
    /// Characters per snippet at most.
    public var snippetCharacters: Int
    /// Characters `open` shows at most.
    public var pageCharacters: Int

    public init(topK: Int, snippetWords: Int, snippetCharacters: Int, pageCharacters: Int) {
        self.topK = topK
        self.snippetWords = snippetWords
        self.snippetCharacters = snippetCharacters
        self.pageCharacters = pageCharacters
    }

    public static let standard = SearchSettings(topK: 2, snippetWords: 24, snippetCharacters: 180, pageCharacters: 600)

    /// `search`, `open` and `python` over `corpus` with these settings.
    public func environment(corpus: Corpus) -> ToolEnvironment {
        ToolEnvironment(tools: [
            SearchTool(corpus: corpus, topK: topK, snippetWords: snippetWords, snippetCharacters: snippetCharacters),
            PageReaderTool(corpus: corpus, maxCharacters: pageCharacters),
            CalculatorTool(),
        ])
    }

    public func validate(source: String) throws {
        for (field, value, minimum) in [("topK", topK, 1), ("snippetWords", snippetWords, 4), ("snippetCharacters", snippetCharacters, 32),
                                        ("pageCharacters", pageCharacters, 64)] where value < minimum {
            throw InputError("must be at least \(minimum), got \(value)", source: source, field: field)
        }
    }
}
