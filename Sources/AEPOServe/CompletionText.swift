import AEPOTokenizer

/// The text of one choice as its tokens arrive: OpenAI stop strings (the text ends before the first
/// one, or after it with `includeStop`), and deltas that never show a stop string's beginning or
/// half a UTF-8 character before they are settled.
struct CompletionText {
    let stops: [String]
    let includeStop: Bool
    let skipSpecialTokens: Bool
    private(set) var tokens: [Int] = []
    /// Unicode scalars already handed out as deltas.
    private var emitted = 0
    private(set) var stopped = false

    init(stops: [String], includeStop: Bool, skipSpecialTokens: Bool) {
        self.stops = stops
        self.includeStop = includeStop
        self.skipSpecialTokens = skipSpecialTokens
    }

    /// Adds `token`; returns the text now settled (the delta) and sets `stopped` when a stop string appeared.
    /// With `final`, everything left is settled.
    mutating func append(_ token: Int, final: Bool, tokenizer: Tokenizer) -> String {
        tokens.append(token)
        let text = (try? tokenizer.decode(tokens, skipSpecialTokens: skipSpecialTokens)) ?? ""
        var settled = Array(text.unicodeScalars)
        if let cut = firstStop(in: text) {
            settled = Array(text[..<cut].unicodeScalars)
            stopped = true
        } else if !final {
            while settled.last == "\u{FFFD}" { settled.removeLast() }
            settled.removeLast(min(settled.count, heldBack(String(String.UnicodeScalarView(settled)))))
        }
        guard settled.count > emitted else { return "" }
        let delta = String(String.UnicodeScalarView(settled[emitted...]))
        emitted = settled.count
        return delta
    }

    /// End of the kept text when a stop string occurs (its start, or its end with `includeStop`).
    private func firstStop(in text: String) -> String.Index? {
        let hits = stops.compactMap { text.range(of: $0) }
        guard let first = hits.min(by: { $0.lowerBound < $1.lowerBound }) else { return nil }
        return includeStop ? first.upperBound : first.lowerBound
    }

    /// Scalars at the end of `text` that could begin a stop string.
    private func heldBack(_ text: String) -> Int {
        var longest = 0
        let scalars = Array(text.unicodeScalars)
        for stop in stops {
            let s = Array(stop.unicodeScalars)
            for length in stride(from: min(s.count - 1, scalars.count), to: longest, by: -1)
                where scalars.suffix(length).elementsEqual(s.prefix(length)) {
                longest = length
                break
            }
        }
        return longest
    }
}
