import AEPOCore

/// Trains a byte-level BPE tokenizer on texts, with Qwen2's pipeline: the special tokens are cut
/// out whole, the rest is NFC-normalized, split by the Qwen2 pattern and encoded as UTF-8 bytes.
///
/// The vocabulary is: the special tokens (ids 0…k−1, in the order given, also present as added
/// tokens), the 256 bytes (ids k…k+255, in byte order), then one token per merge. Each step merges
/// the adjacent pair that occurs most often across all pre-tokens (weighted by how often the
/// pre-token occurs); ties go to the pair with the smaller left id, then the smaller right id, so
/// training is deterministic. Pair counts are updated only for the pre-tokens a merge touches.
/// Training stops at `vocabularySize` tokens or when no pair occurs `minimumFrequency` times.
public struct BPETrainer: Sendable {
    public var vocabularySize: Int
    public var specialTokens: [String]
    public var minimumFrequency: Int

    public init(vocabularySize: Int, specialTokens: [String], minimumFrequency: Int = 2) {
        self.vocabularySize = vocabularySize
        self.specialTokens = specialTokens
        self.minimumFrequency = minimumFrequency
    }

    /// The trained tokenizer; save it with `Tokenizer.write(to:)`.
    public func train(on texts: [String]) throws -> Tokenizer {
        let source = "tokenizer training"
        guard vocabularySize >= specialTokens.count + 256 else {
            throw InputError("vocabulary size \(vocabularySize) is smaller than the \(specialTokens.count) special tokens + 256 bytes",
                             source: source, field: "vocabularySize")
        }
        guard minimumFrequency >= 1 else {
            throw InputError("minimum frequency must be at least 1", source: source, field: "minimumFrequency")
        }
        var tokenBytes: [[UInt8]] = []
        var ids: [String: Int] = [:]
        var addedTokens: [AddedToken] = []
        for (index, special) in specialTokens.enumerated() {
            guard !special.isEmpty, ids[special] == nil else {
                throw InputError("special tokens must be non-empty and distinct (\(JSONText.quote(special)))",
                                 source: source, field: "specialTokens[\(index)]")
            }
            ids[special] = tokenBytes.count
            addedTokens.append(AddedToken(id: tokenBytes.count, content: special, special: true))
            tokenBytes.append(Array(special.utf8))
        }
        for byte in 0...255 {
            let symbol = ByteLevelAlphabet.encode([UInt8(byte)])
            guard ids[symbol] == nil else {
                throw InputError("special token \(JSONText.quote(symbol)) is also a byte symbol", source: source, field: "specialTokens")
            }
            ids[symbol] = tokenBytes.count
            tokenBytes.append([UInt8(byte)])
        }
        let firstByteId = specialTokens.count
        var idsByBytes: [[UInt8]: Int] = [:]
        for id in firstByteId..<tokenBytes.count { idsByBytes[tokenBytes[id]] = id }

        var words = try countWords(texts, addedTokens: addedTokens, source: source)
            .map { (symbols: $0.key.map { Int32(firstByteId + Int($0)) }, count: $0.value) }
        words.sort { $0.symbols.lexicographicallyPrecedes($1.symbols) }

        var pairs = PairStatistics(words: words.map(\.symbols), counts: words.map(\.count))
        var merges: [(Int, Int)] = []
        while ids.count < vocabularySize, let best = pairs.mostFrequent(), best.count >= minimumFrequency {
            let merged = tokenBytes[Int(best.left)] + tokenBytes[Int(best.right)]
            let id: Int
            if let existing = idsByBytes[merged] {
                id = existing
            } else {
                id = tokenBytes.count
                tokenBytes.append(merged)
                idsByBytes[merged] = id
                ids[ByteLevelAlphabet.encode(merged)] = id
            }
            merges.append((Int(best.left), Int(best.right)))
            pairs.merge(left: best.left, right: best.right, into: Int32(id))
        }
        let model = try BPEModel(ids: ids, merges: merges, ignoreMerges: false, source: source)
        return try Tokenizer(normalizer: .nfc, preTokenizer: .qwen2, model: model, addedTokens: addedTokens, source: source)
    }

    /// How often each pre-token (as UTF-8 bytes) occurs in `texts`.
    private func countWords(_ texts: [String], addedTokens: [AddedToken], source: String) throws -> [[UInt8]: Int] {
        let added = AddedVocabulary(tokens: addedTokens, normalizer: .nfc)
        var counts: [[UInt8]: Int] = [:]
        for text in texts {
            Tokenizer.forEachPreToken(in: text, normalizer: .nfc, preTokenizer: .qwen2, addedVocabulary: added) {
                if case .bytes(let bytes) = $0 { counts[bytes, default: 0] += 1 }
            }
        }
        return counts
    }
}

/// Counts of adjacent symbol pairs over weighted words, kept current as pairs are merged.
private struct PairStatistics {
    private var words: [[Int32]]
    private let wordCounts: [Int]
    private var counts: [UInt64: Int] = [:]
    /// Words that contained each pair when it was counted (may include words that no longer do).
    private var occurrences: [UInt64: [Int32]] = [:]
    private var queue = MinHeap<Entry>()

    /// A queued pair; the smallest entry is the most frequent pair, then the smallest ids.
    struct Entry: Comparable {
        var count: Int, left: Int32, right: Int32
        static func < (a: Entry, b: Entry) -> Bool {
            if a.count != b.count { return a.count > b.count }
            return a.left != b.left ? a.left < b.left : a.right < b.right
        }
    }

    init(words: [[Int32]], counts: [Int]) {
        self.words = words
        self.wordCounts = counts
        for (index, word) in words.enumerated() {
            for position in word.indices.dropLast() {
                let key = Self.key(word[position], word[position + 1])
                self.counts[key, default: 0] += counts[index]
                occurrences[key, default: []].append(Int32(index))
            }
        }
        for key in self.counts.keys.sorted() { enqueue(key) }
    }

    /// The most frequent pair and its count (stale queue entries are dropped on the way).
    mutating func mostFrequent() -> Entry? {
        while let top = queue.pop() {
            if counts[Self.key(top.left, top.right)] == top.count { queue.push(top); return top }
        }
        return nil
    }

    /// Replaces every occurrence of `left right` (left to right, not overlapping) by `id`.
    mutating func merge(left: Int32, right: Int32, into id: Int32) {
        let pairKey = Self.key(left, right)
        var changed = Set<UInt64>()
        var seen = Set<Int32>()
        for index in occurrences.removeValue(forKey: pairKey) ?? [] where seen.insert(index).inserted {
            let word = words[Int(index)]
            var merged: [Int32] = []
            merged.reserveCapacity(word.count)
            var position = 0
            while position < word.count {
                if position + 1 < word.count, word[position] == left, word[position + 1] == right {
                    merged.append(id)
                    position += 2
                } else {
                    merged.append(word[position])
                    position += 1
                }
            }
            guard merged.count != word.count else { continue }
            let weight = wordCounts[Int(index)]
            for position in word.indices.dropLast() {
                let key = Self.key(word[position], word[position + 1])
                counts[key, default: 0] -= weight
                changed.insert(key)
            }
            for position in merged.indices.dropLast() {
                let key = Self.key(merged[position], merged[position + 1])
                counts[key, default: 0] += weight
                changed.insert(key)
                occurrences[key, default: []].append(index)
            }
            words[Int(index)] = merged
        }
        for key in changed.sorted() {
            if counts[key] == 0 { counts[key] = nil } else { enqueue(key) }
        }
    }

    private mutating func enqueue(_ key: UInt64) {
        guard let count = counts[key], count > 0 else { return }
        queue.push(Entry(count: count, left: Int32(truncatingIfNeeded: key >> 32), right: Int32(truncatingIfNeeded: key)))
    }

    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }
}
