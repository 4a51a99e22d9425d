/// The pre-tokenizer split regexes of Qwen2/Qwen3, Llama 3 and GPT-2, implemented as hand-written
/// scanners over Unicode scalars with the regex engines' semantics: alternatives tried in order at
/// each position (leftmost-first), greedy quantifiers with backtracking, `\p{L}` / `\p{N}` the
/// Unicode general categories L* / N*, `\s` the Unicode `White_Space` property, as of Unicode 16.0
/// (the data of the regex engine in `tokenizers` 0.23; scalars assigned later count as unassigned).
///
/// Each of these patterns matches at every position, so the matches tile the text. Any other
/// pattern is refused when a `tokenizer.json` is loaded, rather than run by a regex engine whose
/// character classes might differ.
public enum SplitPattern: String, CaseIterable, Sendable {
    /// Qwen2/Qwen3: one digit per piece, an optional non-letter prefix before a letter run.
    case qwen2 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    /// Llama 3: as Qwen2, with up to three digits per piece.
    case llama3 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    /// GPT-2 (the `ByteLevel` pre-tokenizer's own regex when `use_regex` is true).
    case gpt2 = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    /// The consecutive pieces `text` splits into (every match of the pattern, in order).
    public func pieces(of text: [Unicode.Scalar]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        while start < text.count {
            let end = matchEnd(in: text, from: start)
            ranges.append(start..<end)
            start = end
        }
        return ranges
    }

    /// The end of the (never empty) match that starts at `i`.
    private func matchEnd(in text: [Unicode.Scalar], from i: Int) -> Int {
        let count = text.count
        let c = ScalarClass(text[i])
        let next = i + 1 < count ? ScalarClass(text[i + 1]) : nil
        func run(from j: Int, while test: (ScalarClass) -> Bool, limit: Int = .max) -> Int {
            var k = j
            while k < count, k - j < limit, test(ScalarClass(text[k])) { k += 1 }
            return k
        }
        // 's|'t|'re|'ve|'m|'ll|'d (case-insensitive except for GPT-2)
        if text[i] == "'", let length = contractionLength(text, after: i + 1) { return i + 1 + length }
        switch self {
        case .qwen2, .llama3:
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if c.isLetter { return run(from: i, while: \.isLetter) }
            if !c.isLineBreak && !c.isNumber, next?.isLetter == true { return run(from: i + 1, while: \.isLetter) }
            // \p{N} or \p{N}{1,3}
            if c.isNumber { return run(from: i, while: \.isNumber, limit: self == .qwen2 ? 1 : 3) }
            // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
            let symbolStart = text[i] == " " && next?.isSymbol == true ? i + 1 : i
            if ScalarClass(text[symbolStart]).isSymbol {
                return run(from: run(from: symbolStart, while: \.isSymbol), while: \.isLineBreak)
            }
            // \s*[\r\n]+ : the whitespace run up to and including its last line break
            let spaceEnd = run(from: i, while: \.isSpace)
            if let lastBreak = (i..<spaceEnd).last(where: { ScalarClass(text[$0]).isLineBreak }) { return lastBreak + 1 }
            return trailingSpaceEnd(start: i, spaceEnd: spaceEnd, count: count)
        case .gpt2:
            // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
            let body = text[i] == " " && next.map { !$0.isSpace } == true ? i + 1 : i
            let b = ScalarClass(text[body])
            if b.isLetter { return run(from: body, while: \.isLetter) }
            if b.isNumber { return run(from: body, while: \.isNumber) }
            if b.isSymbol { return run(from: body, while: \.isSymbol) }
            return trailingSpaceEnd(start: i, spaceEnd: run(from: i, while: \.isSpace), count: count)
        }
    }

    /// `\s+(?!\S)|\s+` on the whitespace run `start..<spaceEnd`: all of it at the end of the text,
    /// else all but its last scalar (left to precede the next word), else the single scalar.
    private func trailingSpaceEnd(start: Int, spaceEnd: Int, count: Int) -> Int {
        spaceEnd == count || spaceEnd - start == 1 ? spaceEnd : spaceEnd - 1
    }

    /// The length of the contraction suffix after an apostrophe at `start`, if there is one.
    private func contractionLength(_ text: [Unicode.Scalar], after start: Int) -> Int? {
        func letter(_ offset: Int) -> Character? {
            guard start + offset < text.count else { return nil }
            let scalar = text[start + offset]
            if self == .gpt2 { return scalar.isASCII ? Character(scalar) : nil }
            // Case-insensitive: simple case folding also maps U+017F LATIN SMALL LETTER LONG S to s.
            if scalar == "\u{17F}" { return "s" }
            return scalar.isASCII ? Character(scalar).lowercased().first : nil
        }
        switch letter(0) {
        case "s", "t", "m", "d": return 1
        case "r": return letter(1) == "e" ? 2 : nil
        case "v": return letter(1) == "e" ? 2 : nil
        case "l": return letter(1) == "l" ? 2 : nil
        default: return nil
        }
    }
}

/// The character classes the split patterns use.
struct ScalarClass {
    private let bits: UInt8

    private static let letter: UInt8 = 1, number: UInt8 = 2, space: UInt8 = 4, lineBreak: UInt8 = 8

    private static let ascii: [UInt8] = (0..<128).map { classify(Unicode.Scalar(UInt8($0))) }

    init(_ scalar: Unicode.Scalar) {
        bits = scalar.value < 128 ? Self.ascii[Int(scalar.value)] : Self.classify(scalar)
    }

    private static func classify(_ scalar: Unicode.Scalar) -> UInt8 {
        let properties = scalar.properties
        // The `tokenizers` library's regex engine has Unicode 16.0 data: later scalars are unassigned to it.
        if let age = properties.age, age.major > 16 { return 0 }
        var bits: UInt8 = 0
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: bits |= letter
        case .decimalNumber, .letterNumber, .otherNumber: bits |= number
        default: break
        }
        if properties.isWhitespace { bits |= space }
        if scalar == "\r" || scalar == "\n" { bits |= lineBreak }
        return bits
    }

    /// `\p{L}`
    var isLetter: Bool { bits & Self.letter != 0 }
    /// `\p{N}`
    var isNumber: Bool { bits & Self.number != 0 }
    /// `\s`
    var isSpace: Bool { bits & Self.space != 0 }
    /// `[\r\n]`
    var isLineBreak: Bool { bits & Self.lineBreak != 0 }
    /// `[^\s\p{L}\p{N}]`
    var isSymbol: Bool { bits == 0 }
}
