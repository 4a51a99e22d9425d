import AEPOTokenizer
import AEPOTools

/// When a generated segment ends: at one of `endTokens` (EOS), or as soon as the decoded segment
/// contains one of `stopStrings` (`</search>`, `</python>`, `</answer>`, a forged `<result>` …).
///
/// Strings are matched on text, so a tag the tokenizer has as one special token and a tag the model
/// spelled from pieces both stop the segment (real Qwen3 has no tag tokens).
public struct StopCriteria: Sendable {
    public var endTokens: Set<Int>
    public var stopStrings: [String]
    /// The text of one token (byte-level pieces of a multi-byte character may decode imperfectly,
    /// which never hides an ASCII stop string).
    public var tokenText: @Sendable (Int) -> String

    public init(endTokens: Set<Int>, stopStrings: [String], tokenText: @escaping @Sendable (Int) -> String) {
        self.endTokens = endTokens
        self.stopStrings = stopStrings
        self.tokenText = tokenText
    }

    /// The trajectory format's stops for `tokenizer`, ending also at `endTokens`.
    public init(format: TrajectoryFormat, tokenizer: Tokenizer, endTokens: Set<Int>) {
        self.init(endTokens: endTokens, stopStrings: format.stopStrings) { id in
            (try? tokenizer.decode([id])) ?? ""
        }
    }

    /// The end-of-sequence ids a tokenizer defines among `<|endoftext|>` and `<|im_end|>`, plus `extra`.
    public static func endTokens(of tokenizer: Tokenizer, extra: Int? = nil) -> Set<Int> {
        var ids = Set(["<|endoftext|>", "<|im_end|>"].compactMap { tokenizer.id(forToken: $0) })
        if let extra { ids.insert(extra) }
        return ids
    }

    /// Incremental stop detection for one segment.
    public struct Scanner: Sendable {
        private let criteria: StopCriteria
        private let longest: Int
        private var bytes: [UInt8] = []

        public init(_ criteria: StopCriteria) {
            self.criteria = criteria
            longest = criteria.stopStrings.map(\.utf8.count).max() ?? 0
        }

        /// Feeds the next token; returns how the segment ends if it ends with this token.
        public mutating func feed(_ token: Int) -> SegmentFinish? {
            if criteria.endTokens.contains(token) { return .endToken }
            guard longest > 0 else { return nil }
            let piece = Array(criteria.tokenText(token).utf8)
            let from = max(0, bytes.count - longest + 1)
            bytes += piece
            let window = bytes[from...]
            for stop in criteria.stopStrings {
                let target = Array(stop.utf8)
                if window.count >= target.count, contains(window, target) { return .stopString(stop) }
            }
            return nil
        }

        private func contains(_ haystack: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
            var i = haystack.startIndex
            while i + needle.count <= haystack.endIndex {
                if haystack[i] == needle[0] && haystack[i..<(i + needle.count)].elementsEqual(needle) { return true }
                i += 1
            }
            return false
        }
    }
}
