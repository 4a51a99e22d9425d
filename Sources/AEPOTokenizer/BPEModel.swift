import AEPOCore
import Foundation

/// The `model` of a byte-level BPE `tokenizer.json`: a vocabulary of byte strings and ranked merges.
///
/// A pre-token's UTF-8 bytes start as one symbol each; then, repeatedly, the adjacent pair whose
/// merge has the lowest rank (leftmost on ties) is replaced by the merged token, until no adjacent
/// pair has a merge. Results are cached per pre-token.
public final class BPEModel: @unchecked Sendable {
    /// Token strings (byte-level spelling) by id.
    public let tokens: [Int: String]
    /// Ids by token string.
    public let ids: [String: Int]
    /// The merges in rank order, as pairs of token ids.
    public let merges: [(left: Int, right: Int)]
    /// If true, a pre-token that is itself in the vocabulary becomes that token without merging.
    public let ignoreMerges: Bool

    private let byteIds: [Int32]
    private let idsByBytes: [[UInt8]: Int]
    private let mergeTable: [UInt64: (rank: Int32, id: Int32)]
    private var cache: [[UInt8]: [Int]] = [:]
    private let cacheLock = NSLock()
    private static let cacheCapacity = 100_000

    /// Builds a model; every merge's parts and result and every byte must be in the vocabulary.
    /// `source` names the file for error messages.
    public convenience init(vocabulary: [String: Int], merges: [(String, String)], ignoreMerges: Bool = false,
                            source: String = "tokenizer") throws {
        var pairs: [(Int, Int)] = []
        pairs.reserveCapacity(merges.count)
        for (index, merge) in merges.enumerated() {
            let field = "model.merges[\(index)]"
            guard let left = vocabulary[merge.0] else {
                throw InputError("merge part \(JSONText.quote(merge.0)) is not in the vocabulary", source: source, field: field)
            }
            guard let right = vocabulary[merge.1] else {
                throw InputError("merge part \(JSONText.quote(merge.1)) is not in the vocabulary", source: source, field: field)
            }
            pairs.append((left, right))
        }
        try self.init(ids: vocabulary, merges: pairs, ignoreMerges: ignoreMerges, source: source)
    }

    init(ids: [String: Int], merges: [(Int, Int)], ignoreMerges: Bool, source: String) throws {
        var tokens: [Int: String] = [:]
        var idsByBytes: [[UInt8]: Int] = [:]
        for (token, id) in ids {
            guard id >= 0, id <= Int(Int32.max) else {
                throw InputError("token id \(id) is out of range", source: source, field: "model.vocab.\(token)")
            }
            if let other = tokens[id] {
                throw InputError("id \(id) is given to both \(JSONText.quote(other)) and \(JSONText.quote(token))",
                                 source: source, field: "model.vocab")
            }
            tokens[id] = token
            if let bytes = ByteLevelAlphabet.decode(token) { idsByBytes[bytes] = id }
        }
        var byteIds: [Int32] = []
        for byte in 0..<256 {
            let symbol = ByteLevelAlphabet.encode([UInt8(byte)])
            guard let id = ids[symbol] else {
                throw InputError("byte 0x\(String(byte, radix: 16)) (\(JSONText.quote(symbol))) is not in the vocabulary; byte-level BPE needs all 256",
                                 source: source, field: "model.vocab")
            }
            byteIds.append(Int32(id))
        }
        var table: [UInt64: (rank: Int32, id: Int32)] = [:]
        table.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            let merged = tokens[merge.0]! + tokens[merge.1]!
            guard let id = ids[merged] else {
                throw InputError("the result \(JSONText.quote(merged)) of this merge is not in the vocabulary",
                                 source: source, field: "model.merges[\(rank)]")
            }
            table[Self.key(merge.0, merge.1)] = (Int32(rank), Int32(id))
        }
        self.tokens = tokens
        self.ids = ids
        self.merges = merges.map { (left: $0.0, right: $0.1) }
        self.ignoreMerges = ignoreMerges
        self.byteIds = byteIds
        self.idsByBytes = idsByBytes
        self.mergeTable = table
    }

    convenience init(json node: JSONNode) throws {
        guard try node.typeName() == "BPE" else { throw try node.unsupported("model", supported: ["BPE"]) }
        guard node["dropout"].isNull else { throw node["dropout"].error("'dropout' is not supported (expected null)") }
        // Qwen2 writes "" for these: an empty prefix or suffix changes nothing.
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] where !node[key].isNull && node[key].value?.stringValue != "" {
            throw node[key].error("'\(key)' is not supported by this byte-level BPE (expected null or \"\")")
        }
        for key in ["fuse_unk", "byte_fallback"] where try node[key].bool(default: false) {
            throw node[key].error("'\(key)' is not supported by this byte-level BPE (expected false)")
        }
        var vocabulary: [String: Int] = [:]
        for (token, id) in try node["vocab"].members() { vocabulary[token] = try id.int() }
        var merges: [(String, String)] = []
        for merge in try node["merges"].array() {
            if let line = merge.value?.stringValue {
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw merge.error("expected a merge \"left right\" with one space") }
                merges.append((String(parts[0]), String(parts[1])))
            } else {
                let parts = try merge.array()
                guard parts.count == 2 else { throw merge.error("expected a merge [\"left\", \"right\"]") }
                merges.append((try parts[0].string(), try parts[1].string()))
            }
        }
        // Every byte is in the vocabulary (checked above), so `unk_token` is never used.
        try self.init(vocabulary: vocabulary, merges: merges,
                      ignoreMerges: try node["ignore_merges"].bool(default: false), source: node.source)
    }

    /// The ids of one pre-token, given as its UTF-8 bytes.
    public func encode(_ bytes: [UInt8]) -> [Int] {
        cacheLock.lock()
        let cached = cache[bytes]
        cacheLock.unlock()
        if let cached { return cached }
        let result = merge(bytes)
        cacheLock.lock()
        if cache.count < Self.cacheCapacity { cache[bytes] = result }
        cacheLock.unlock()
        return result
    }

    private struct Candidate: Comparable {
        var rank: Int32, position: Int32, id: Int32
        static func < (a: Candidate, b: Candidate) -> Bool {
            a.rank != b.rank ? a.rank < b.rank : a.position < b.position
        }
    }

    private func merge(_ bytes: [UInt8]) -> [Int] {
        if ignoreMerges, let id = idsByBytes[bytes] { return [id] }
        let count = bytes.count
        var symbols = bytes.map { byteIds[Int($0)] }
        var previous = (0..<count).map { Int32($0) - 1 }
        var next = (0..<count).map { Int32($0) + 1 }
        var alive = [Bool](repeating: true, count: count)
        var queue = MinHeap<Candidate>()
        func consider(_ position: Int32) {
            let right = next[Int(position)]
            guard right < count, let merge = mergeTable[Self.key(symbols[Int(position)], symbols[Int(right)])] else { return }
            queue.push(Candidate(rank: merge.rank, position: position, id: merge.id))
        }
        for position in 0..<max(count - 1, 0) { consider(Int32(position)) }
        while let top = queue.pop() {
            let position = Int(top.position)
            guard alive[position] else { continue }
            let right = Int(next[position])
            // Skip entries made stale by an earlier merge on either side.
            guard right < count, mergeTable[Self.key(symbols[position], symbols[right])]?.id == top.id else { continue }
            symbols[position] = top.id
            alive[right] = false
            next[position] = next[right]
            if next[right] < count { previous[Int(next[right])] = Int32(position) }
            if previous[position] >= 0 { consider(previous[position]) }
            consider(Int32(position))
        }
        var result: [Int] = []
        var position = 0
        while position < count {
            result.append(Int(symbols[position]))
            position = Int(next[position])
        }
        return result
    }

    private static func key(_ left: Int, _ right: Int) -> UInt64 { key(Int32(left), Int32(right)) }
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    var json: String {
        var out = "{\"type\":\"BPE\",\"dropout\":null,\"unk_token\":null,\"continuing_subword_prefix\":null,"
        out += "\"end_of_word_suffix\":null,\"fuse_unk\":false,\"byte_fallback\":false,\"ignore_merges\":\(JSONText.bool(ignoreMerges)),"
        out += "\"vocab\":{"
        out += tokens.keys.sorted().map { "\(JSONText.quote(tokens[$0]!)):\($0)" }.joined(separator: ",")
        out += "},\"merges\":["
        out += merges.map { "[\(JSONText.quote(tokens[$0.left]!)),\(JSONText.quote(tokens[$0.right]!))]" }.joined(separator: ",")
        return out + "]}"
    }
}
