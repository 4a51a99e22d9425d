import AEPOTools

/// A trajectory being written: notes collect into one `<think>` per segment; each tool call
/// ends a model piece and appends the tool's `<result>` block.
struct Transcript {
    let environment: ToolEnvironment
    var pieces: [Demonstration.Piece] = []
    var notes: [String] = []
    /// Every search-result block seen so far.
    var seen: [SearchResultBlock] = []
    var queries: [String] = []
    var foundBy: [(query: String, page: String)] = []

    init(environment: ToolEnvironment) {
        self.environment = environment
    }

    mutating func note(_ text: String) { notes.append(text) }

    /// The pending notes as a `<think>` block (empty when there are none).
    mutating func flushedThinking() -> String {
        defer { notes = [] }
        return notes.isEmpty ? "" : "<think> \(notes.joined(separator: " ")) </think>\n"
    }

    /// Writes `<name> input </name>`, runs the tool, appends its result block, returns its output.
    mutating func call(_ name: String, _ input: String) -> String {
        pieces.append(.init(role: .model, text: flushedThinking() + "<\(name)> \(input) </\(name)>"))
        let output = environment.run(ToolCall(name: name, input: input))
        pieces.append(.init(role: .environment, text: TrajectoryFormat.resultBlock(output)))
        return output
    }

    mutating func search(_ query: String) -> [SearchResultBlock] {
        queries.append(query)
        let blocks = SearchResultBlock.parse(call("search", query))
        seen += blocks
        return blocks
    }

    mutating func answer(_ text: String) {
        pieces.append(.init(role: .model, text: flushedThinking() + "<answer> \\boxed{\(text)} </answer>"))
    }

    /// Whether a result block of page `title` shows `fact` (whole words).
    func hasSeen(_ fact: String, on title: String, in blocks: [SearchResultBlock]? = nil) -> Bool {
        let needle = PhraseIndex.words(fact)
        return (blocks ?? seen).contains { $0.title == title && PhraseIndex.contains(PhraseIndex.words($0.snippet), needle) }
    }
}
