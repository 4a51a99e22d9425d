import AEPOCore
import Foundation

/// A Hugging Face byte-level BPE tokenizer (the kind Qwen2/Qwen3 and Llama 3 use), loaded from or
/// saved to `tokenizer.json`, encoding and decoding exactly as the `tokenizers` library does.
///
/// Encoding (with `add_special_tokens=False` semantics: the post-processor is not applied):
/// added tokens are cut out of the raw text, the rest is normalized, cut again around added tokens
/// marked `normalized`, pre-tokenized, and each pre-token's UTF-8 bytes are merged by the BPE model.
public struct Tokenizer: Sendable {
    public let normalizer: Normalizer?
    public let preTokenizer: PreTokenizer
    public let model: BPEModel
    public let decoder: ByteLevelDecoder
    public let addedVocabulary: AddedVocabulary
    /// One more than the largest id of the vocabulary and the added tokens (the embedding rows a model needs).
    public let vocabularySize: Int

    public init(normalizer: Normalizer?, preTokenizer: PreTokenizer, model: BPEModel,
                decoder: ByteLevelDecoder = ByteLevelDecoder(), addedTokens: [AddedToken],
                source: String = "tokenizer") throws {
        guard preTokenizer.containsByteLevel else {
            throw InputError("byte-level BPE needs a ByteLevel pre-tokenizer", source: source, field: "pre_tokenizer")
        }
        var seen: [Int: String] = [:]
        for (index, token) in addedTokens.enumerated() {
            guard token.id >= 0 else {
                throw InputError("negative token id \(token.id)", source: source, field: "added_tokens[\(index)].id")
            }
            guard token.id <= Int(Int32.max) else {
                throw InputError("token id \(token.id) is out of range", source: source, field: "added_tokens[\(index)].id")
            }
            if let other = seen[token.id] ?? model.tokens[token.id].flatMap({ $0 == token.content ? nil : $0 }) {
                throw InputError("id \(token.id) is already the token \(JSONText.quote(other))", source: source,
                                 field: "added_tokens[\(index)].id")
            }
            if let vocabularyID = model.ids[token.content], vocabularyID != token.id {
                throw InputError("added token \(JSONText.quote(token.content)) has id \(token.id), but the vocabulary gives it id \(vocabularyID)",
                                 source: source, field: "added_tokens[\(index)].id")
            }
            seen[token.id] = token.content
        }
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.model = model
        self.decoder = decoder
        self.addedVocabulary = AddedVocabulary(tokens: addedTokens, normalizer: normalizer)
        self.vocabularySize = max(model.tokens.keys.max() ?? -1, addedTokens.map(\.id).max() ?? -1) + 1
    }

    /// Loads a `tokenizer.json`; anything malformed or unsupported is an `InputError` naming the file and JSON path.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw InputError("cannot read tokenizer file", source: url.path)
        }
        try self.init(json: data, source: url.path)
    }

    /// Parses the contents of a `tokenizer.json`; `source` names it in errors.
    public init(json data: Data, source: String) throws {
        let root = try JSONNode.parse(data, source: source)
        _ = try root.members()
        for key in ["truncation", "padding"] where !root[key].isNull {
            throw root[key].error("'\(key)' is not supported (expected null)")
        }
        let normalizer = root["normalizer"].isNull ? nil : try Normalizer(json: root["normalizer"])
        let addedTokens = root["added_tokens"].isNull ? [] : try root["added_tokens"].array().map(AddedToken.init(json:))
        try self.init(
            normalizer: normalizer,
            preTokenizer: try PreTokenizer(json: root["pre_tokenizer"]),
            model: try BPEModel(json: root["model"]),
            decoder: try ByteLevelDecoder(json: root["decoder"]),
            addedTokens: addedTokens,
            source: source)
    }

    /// The id of a vocabulary or added token given as its `tokenizer.json` spelling.
    public func id(forToken token: String) -> Int? {
        addedVocabulary.tokens.first { $0.content == token }?.id ?? model.ids[token]
    }

    /// The `tokenizer.json` spelling of a token id (added tokens first), or nil for an unknown id.
    public func token(forId id: Int) -> String? {
        addedVocabulary.token(id: id)?.content ?? model.tokens[id]
    }

    /// The token ids of `text` (`add_special_tokens=False`; added tokens in the text are recognised).
    public func encode(_ text: String) -> [Int] {
        var ids: [Int] = []
        Self.forEachPreToken(in: text, normalizer: normalizer, preTokenizer: preTokenizer, addedVocabulary: addedVocabulary) {
            switch $0 {
            case .token(let id): ids.append(id)
            case .bytes(let bytes): ids += model.encode(bytes)
            }
        }
        return ids
    }

    /// What encoding cuts a text into before BPE: added tokens and the UTF-8 bytes of pre-tokens.
    enum PreToken {
        case token(Int)
        case bytes([UInt8])
    }

    /// Cuts added tokens out of the raw text, normalizes the rest, cuts the added tokens marked
    /// `normalized`, and pre-tokenizes what is left; `body` gets the results in text order.
    static func forEachPreToken(in text: String, normalizer: Normalizer?, preTokenizer: PreTokenizer,
                                addedVocabulary: AddedVocabulary, _ body: (PreToken) -> Void) {
        for segment in addedVocabulary.split(Array(text.unicodeScalars), inNormalizedText: false) {
            guard case .text(let raw) = segment else {
                if case .token(let id) = segment { body(.token(id)) }
                continue
            }
            for part in addedVocabulary.split(normalizer?.normalize(raw) ?? raw, inNormalizedText: true) {
                switch part {
                case .token(let id):
                    body(.token(id))
                case .text(let piece):
                    for preToken in preTokenizer.split(piece) where !preToken.isEmpty { body(.bytes(utf8(preToken))) }
                }
            }
        }
    }

    /// The text of `ids`; special added tokens are left out if `skipSpecialTokens`.
    /// An id that is neither in the vocabulary nor an added token is an `InputError`.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) throws -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for (index, id) in ids.enumerated() {
            if let added = addedVocabulary.token(id: id) {
                if !(skipSpecialTokens && added.special) { tokens.append(added.content) }
            } else if let token = model.tokens[id] {
                tokens.append(token)
            } else {
                throw InputError("token id \(id) is not in the vocabulary (size \(vocabularySize))",
                                 source: "token ids", field: "[\(index)]")
            }
        }
        return decoder.decode(tokens)
    }

    /// The `tokenizer.json` text (deterministic: vocabulary in id order, merges in rank order).
    public func jsonData() -> Data {
        var out = "{\n\"version\":\"1.0\",\n\"truncation\":null,\n\"padding\":null,\n"
        out += "\"added_tokens\":[\n\(addedVocabulary.tokens.map(\.json).joined(separator: ",\n"))\n],\n"
        out += "\"normalizer\":\(normalizer?.json ?? "null"),\n"
        out += "\"pre_tokenizer\":\(preTokenizer.json),\n"
        out += "\"post_processor\":null,\n"
        out += "\"decoder\":\(decoder.json),\n"
        out += "\"model\":\(model.json)\n}\n"
        return Data(out.utf8)
    }

    /// Writes `tokenizer.json` atomically.
    public func write(to url: URL) throws {
        try AtomicFile.write(jsonData(), to: url)
    }

    private static func utf8(_ scalars: [Unicode.Scalar]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(scalars.count)
        for scalar in scalars { bytes += UTF8.encode(scalar)! }
        return bytes
    }
}
