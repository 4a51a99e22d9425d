/// The `pre_tokenizer` of a byte-level BPE `tokenizer.json`: how normalized text is cut into
/// pieces (pre-tokens) that BPE then encodes one by one.
///
/// Supported: `Split` with one of the known patterns (`SplitPattern`), behavior `Isolated`,
/// not inverted; `ByteLevel` (its byte-to-Unicode mapping is applied by the model, which works on
/// UTF-8 bytes; `use_regex` splits with the GPT-2 pattern; `add_prefix_space` prepends a space to a
/// piece that does not start with one); and `Sequence` of those.
public indirect enum PreTokenizer: Equatable, Sendable {
    case split(SplitPattern)
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    case sequence([PreTokenizer])

    /// The pre-tokenizer of the tokenizers `aepo` trains (Qwen2's): split by the Qwen2 pattern, then bytes.
    public static let qwen2: PreTokenizer = .sequence([.split(.qwen2), .byteLevel(addPrefixSpace: false, useRegex: false)])

    init(json node: JSONNode) throws {
        switch try node.typeName() {
        case "Sequence":
            self = .sequence(try node["pretokenizers"].array().map(PreTokenizer.init(json:)))
        case "ByteLevel":
            self = .byteLevel(
                addPrefixSpace: try node["add_prefix_space"].bool(default: true),
                useRegex: try node["use_regex"].bool(default: true))
        case "Split":
            let pattern = node["pattern"]
            guard !pattern["Regex"].isNull else {
                throw pattern.error("only {\"Regex\": …} split patterns are supported")
            }
            let regex = try pattern["Regex"].string()
            guard let known = SplitPattern(rawValue: regex) else {
                throw pattern["Regex"].error(
                    "unsupported split regex \(JSONText.quote(regex)) (supported: the Qwen2, Llama 3 and GPT-2 patterns)")
            }
            let behavior = try node["behavior"].string()
            guard behavior == "Isolated" else {
                throw node["behavior"].error("unsupported split behavior '\(behavior)' (supported: Isolated)")
            }
            guard try !node["invert"].bool(default: false) else {
                throw node["invert"].error("inverted split patterns are not supported")
            }
            self = .split(known)
        default:
            throw try node.unsupported("pre-tokenizer", supported: ["Sequence", "Split", "ByteLevel"])
        }
    }

    /// True if a `ByteLevel` step is present (byte-level BPE needs one).
    var containsByteLevel: Bool {
        switch self {
        case .byteLevel: return true
        case .split: return false
        case .sequence(let steps): return steps.contains { $0.containsByteLevel }
        }
    }

    /// Cuts `piece` into pre-tokens; each is passed on to the next step of a sequence.
    func split(_ piece: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        switch self {
        case .split(let pattern):
            return pattern.pieces(of: piece).map { Array(piece[$0]) }
        case .byteLevel(let addPrefixSpace, let useRegex):
            var text = piece
            if addPrefixSpace && text.first != " " { text.insert(" ", at: 0) }
            return useRegex ? SplitPattern.gpt2.pieces(of: text).map { Array(text[$0]) } : [text]
        case .sequence(let steps):
            return steps.reduce([piece]) { pieces, step in pieces.flatMap { step.split($0) } }
        }
    }

    var json: String {
        switch self {
        case .split(let pattern):
            return "{\"type\":\"Split\",\"pattern\":{\"Regex\":\(JSONText.quote(pattern.rawValue))},\"behavior\":\"Isolated\",\"invert\":false}"
        case .byteLevel(let addPrefixSpace, let useRegex):
            return "{\"type\":\"ByteLevel\",\"add_prefix_space\":\(JSONText.bool(addPrefixSpace)),\"trim_offsets\":true,\"use_regex\":\(JSONText.bool(useRegex))}"
        case .sequence(let steps):
            return "{\"type\":\"Sequence\",\"pretokenizers\":[\(steps.map(\.json).joined(separator: ","))]}"
        }
    }
}
