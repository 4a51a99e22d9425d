/// One entry of `added_tokens` in a `tokenizer.json`: a string that is cut out of the text whole
/// and given its own id, before normalization and pre-tokenization.
public struct AddedToken: Equatable, Sendable {
    public var id: Int
    public var content: String
    /// Special tokens are dropped by `decode(…, skipSpecialTokens: true)`.
    public var special: Bool
    /// If true, the token is matched in the normalized text (after the normalizer), else in the raw text.
    public var normalized: Bool

    public init(id: Int, content: String, special: Bool, normalized: Bool = false) {
        self.id = id
        self.content = content
        self.special = special
        self.normalized = normalized
    }

    init(json node: JSONNode) throws {
        for flag in ["single_word", "lstrip", "rstrip"] where try node[flag].bool(default: false) {
            throw node[flag].error("'\(flag)' added tokens are not supported (expected false)")
        }
        self.init(id: try node["id"].int(), content: try node["content"].string(),
                  special: try node["special"].bool(default: false),
                  normalized: try node["normalized"].bool(default: !(try node["special"].bool(default: false))))
    }

    var json: String {
        "{\"id\":\(id),\"content\":\(JSONText.quote(content)),\"single_word\":false,\"lstrip\":false,\"rstrip\":false,"
            + "\"normalized\":\(JSONText.bool(normalized)),\"special\":\(JSONText.bool(special))}"
    }
}

/// The added tokens of a tokenizer and how text is cut around them: at each position, the
/// longest added token that starts there; the leftmost such position first.
public struct AddedVocabulary: Sendable {
    public let tokens: [AddedToken]
    private let byId: [Int: AddedToken]
    private let raw: Matcher
    private let normalized: Matcher

    /// A piece of text cut around added tokens.
    enum Segment {
        case text([Unicode.Scalar])
        case token(Int)
    }

    /// `normalizer` is applied to the content of tokens with `normalized` set, as to the text they are found in.
    init(tokens: [AddedToken], normalizer: Normalizer?) {
        // As in `tokenizers`, a token matched in normalized text is itself stored normalized.
        let tokens = tokens.map { token -> AddedToken in
            guard token.normalized, let normalizer else { return token }
            var view = String.UnicodeScalarView()
            view.append(contentsOf: normalizer.normalize(Array(token.content.unicodeScalars)))
            return AddedToken(id: token.id, content: String(view), special: token.special, normalized: true)
        }
        self.tokens = tokens
        byId = Dictionary(tokens.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        raw = Matcher(tokens.filter { !$0.normalized }.map { (Array($0.content.unicodeScalars), $0.id) })
        normalized = Matcher(tokens.filter(\.normalized).map { (Array($0.content.unicodeScalars), $0.id) })
    }

    func token(id: Int) -> AddedToken? { byId[id] }

    /// Cuts `text` around the added tokens that are matched in raw (`inNormalizedText` false) or normalized text.
    func split(_ text: [Unicode.Scalar], inNormalizedText: Bool) -> [Segment] {
        (inNormalizedText ? normalized : raw).split(text)
    }

    private struct Matcher: Sendable {
        /// Candidates by first scalar, longest first.
        private let candidates: [Unicode.Scalar: [(content: [Unicode.Scalar], id: Int)]]

        init(_ entries: [([Unicode.Scalar], Int)]) {
            var table: [Unicode.Scalar: [(content: [Unicode.Scalar], id: Int)]] = [:]
            for (content, id) in entries where !content.isEmpty {
                table[content[0], default: []].append((content, id))
            }
            candidates = table.mapValues { list in
                list.enumerated().sorted { a, b in
                    a.element.content.count != b.element.content.count
                        ? a.element.content.count > b.element.content.count : a.offset < b.offset
                }.map(\.element)
            }
        }

        func split(_ text: [Unicode.Scalar]) -> [Segment] {
            guard !candidates.isEmpty else { return text.isEmpty ? [] : [.text(text)] }
            var segments: [Segment] = []
            var textStart = 0
            var position = 0
            search: while position < text.count {
                for candidate in candidates[text[position]] ?? []
                where position + candidate.content.count <= text.count
                    && text[position..<(position + candidate.content.count)].elementsEqual(candidate.content) {
                    if textStart < position { segments.append(.text(Array(text[textStart..<position]))) }
                    segments.append(.token(candidate.id))
                    position += candidate.content.count
                    textStart = position
                    continue search
                }
                position += 1
            }
            if textStart < text.count { segments.append(.text(Array(text[textStart...]))) }
            return segments
        }
    }
}
