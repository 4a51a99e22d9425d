import AEPOCore
import Foundation

/// Identifies one sequence held by a `KVCache`.
public struct SequenceID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static func < (a: SequenceID, b: SequenceID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "sequence \(rawValue)" }
}

/// Paged key/value storage for every layer of a decoder, shared between sequences.
///
/// Memory is a pool of fixed-size *blocks*; a block holds `blockSize` consecutive positions of
/// one sequence, for every layer, keys and values, each head's data contiguous: keys transposed,
/// `[keyValueHeads][headDim][blockSize]` (so one query meets a whole block of keys with vector
/// loads along the slots), values `[keyValueHeads][blockSize][headDim]`.
/// Each sequence owns a *block table* (block ids in position order) and a length; position `p`
/// lives in block `table[p / blockSize]`, slot `p % blockSize`.
///
/// Blocks are reference-counted. `fork` gives a new sequence the parent's whole table without
/// copying anything; full blocks are never written again, so they stay shared for good. The
/// last, partially filled block is copied only when one of its sharers appends to it
/// (copy-on-write). `release` drops a sequence's references and frees blocks that reach zero.
/// The pool grows (new blocks, existing ones never move) when no block is free; memory the process cannot
/// have is an `OutOfMemoryError` (`LargeAllocation`).
///
/// Not thread-safe: the engine reserves positions serially, then threads write and read rows
/// through the pointers below (block memory is stable for the cache's lifetime).
public final class KVCache {
    public let layerCount: Int
    public let keyValueHeads: Int
    public let headDim: Int
    public let blockSize: Int
    /// `keyValueHeads · headDim`: the floats of one position's key (or value) row.
    public var keyValueWidth: Int { keyValueHeads * headDim }
    /// Floats per block: all layers, keys and values.
    public let blockFloatCount: Int

    /// Counters for tests and benchmarks.
    public struct Statistics: Equatable, Sendable {
        /// Positions whose keys and values were reserved for writing, i.e. tokens run through
        /// the model. A fork adds none.
        public var computedPositions = 0
        /// Blocks copied because a shared partial block was appended to.
        public var copiedBlocks = 0
        /// Sequences created by `fork`.
        public var forks = 0
    }
    public private(set) var statistics = Statistics()

    private struct Sequence {
        var blocks: [Int] = []
        var length = 0
    }

    private var chunks: [UnsafeMutablePointer<Float>] = []
    private var blockBases: [UnsafeMutablePointer<Float>] = []
    private var referenceCounts: [Int] = []
    private var freeBlocks: [Int] = []
    private var sequences: [SequenceID: Sequence] = [:]
    private var nextSequence = 0

    public init(layerCount: Int, keyValueHeads: Int, headDim: Int, blockSize: Int = 16, initialBlocks: Int = 64) throws {
        precondition(layerCount > 0 && keyValueHeads > 0 && headDim > 0 && blockSize > 0, "empty cache shape")
        self.layerCount = layerCount
        self.keyValueHeads = keyValueHeads
        self.headDim = headDim
        self.blockSize = blockSize
        self.blockFloatCount = layerCount * 2 * blockSize * keyValueHeads * headDim
        try grow(by: max(1, initialBlocks))
    }

    /// A cache shaped for `config`: per layer and position, one key and one value of
    /// `numKeyValueHeads × headDim` floats.
    public convenience init(config: Qwen3Config, blockSize: Int = 16, initialBlocks: Int = 64) throws {
        try self.init(
            layerCount: config.numHiddenLayers, keyValueHeads: config.numKeyValueHeads, headDim: config.headDim,
            blockSize: blockSize, initialBlocks: initialBlocks)
    }

    deinit {
        for chunk in chunks { LargeAllocation.release(chunk) }
    }

    // MARK: Sequences

    /// A new empty sequence.
    public func makeSequence() -> SequenceID {
        let id = SequenceID(rawValue: nextSequence)
        nextSequence += 1
        sequences[id] = Sequence()
        return id
    }

    /// A new sequence with the same positions as `parent`, sharing all its blocks (no copy).
    public func fork(_ parent: SequenceID) -> SequenceID {
        let state = self[parent]
        for block in state.blocks { referenceCounts[block] += 1 }
        let child = makeSequence()
        sequences[child] = state
        statistics.forks += 1
        return child
    }

    /// Forgets `sequence`; blocks no other sequence references return to the pool.
    public func release(_ sequence: SequenceID) {
        let state = self[sequence]
        for block in state.blocks { dropReference(block) }
        sequences[sequence] = nil
    }

    public func contains(_ sequence: SequenceID) -> Bool { sequences[sequence] != nil }

    /// Number of positions stored for `sequence`.
    public func length(of sequence: SequenceID) -> Int { self[sequence].length }

    /// The block ids of `sequence`, in position order.
    public func blockTable(of sequence: SequenceID) -> [Int] { self[sequence].blocks }

    /// Reserves the next `count` positions of `sequence` and returns them; the caller then
    /// writes their key and value rows for every layer. A shared partial last block is first
    /// copied (copy-on-write), so other sequences never see these writes.
    @discardableResult
    public func appendPositions(to sequence: SequenceID, count: Int) throws -> Range<Int> {
        precondition(count >= 0, "negative position count")
        try makeRoom(for: [(sequence, count)])
        var state = self[sequence]
        sequences[sequence] = nil  // keep the table uniquely referenced while it is edited
        let start = state.length
        for position in start ..< start + count {
            if position % blockSize == 0 {
                state.blocks.append(allocateBlock())
            } else if referenceCounts[state.blocks[state.blocks.count - 1]] > 1 {
                let shared = state.blocks[state.blocks.count - 1]
                let copy = allocateBlock()
                blockBases[copy].update(from: blockBases[shared], count: blockFloatCount)
                dropReference(shared)
                state.blocks[state.blocks.count - 1] = copy
                statistics.copiedBlocks += 1
            }
        }
        state.length += count
        sequences[sequence] = state
        statistics.computedPositions += count
        return start ..< start + count
    }

    /// Grows the pool (doubling it as often as needed) so that appending each request's positions takes no
    /// allocation: a pool that cannot grow throws before any sequence changes.
    public func makeRoom(for requests: [(sequence: SequenceID, count: Int)]) throws {
        let needed = requests.reduce(0) { total, request in
            let state = self[request.sequence]
            let fresh = (state.length + request.count + blockSize - 1) / blockSize - (state.length + blockSize - 1) / blockSize
            let partial = state.length % blockSize != 0 && request.count > 0
            return total + fresh + (partial && referenceCounts[state.blocks[state.blocks.count - 1]] > 1 ? 1 : 0)
        }
        while freeBlocks.count < needed { try grow(by: capacity) }
    }

    // MARK: Rows

    /// Where `sequence` stores `position`.
    public func location(of sequence: SequenceID, position: Int) -> (block: Int, slot: Int) {
        let state = self[sequence]
        precondition(position >= 0 && position < state.length, "position \(position) outside \(sequence)")
        return (state.blocks[position / blockSize], position % blockSize)
    }

    /// The start of `block`'s memory (stable for the cache's lifetime).
    @inline(__always)
    public func base(of block: Int) -> UnsafeMutablePointer<Float> { blockBases[block] }

    /// Floats from a block's base to the keys of `layer`.
    @inline(__always)
    public func keyOffset(layer: Int) -> Int { 2 * layer * blockSize * keyValueWidth }

    /// Floats from a block's base to the values of `layer`.
    @inline(__always)
    public func valueOffset(layer: Int) -> Int { (2 * layer + 1) * blockSize * keyValueWidth }

    /// The keys of `layer` in `block`: `[keyValueHeads][headDim][blockSize]` floats.
    @inline(__always)
    public func keys(layer: Int, block: Int) -> UnsafeMutablePointer<Float> {
        blockBases[block] + keyOffset(layer: layer)
    }

    /// The values of `layer` in `block`: `[keyValueHeads][blockSize][headDim]` floats.
    @inline(__always)
    public func values(layer: Int, block: Int) -> UnsafeMutablePointer<Float> {
        blockBases[block] + valueOffset(layer: layer)
    }

    /// Stores a key row (`keyValueWidth` floats, heads concatenated) at `slot` of `block`.
    @inline(__always)
    public func storeKey(_ row: UnsafePointer<Float>, layer: Int, block: Int, slot: Int) {
        let keys = self.keys(layer: layer, block: block) + slot
        for i in 0..<keyValueWidth { keys[i * blockSize] = row[i] }
    }

    /// Stores a value row (`keyValueWidth` floats, heads concatenated) at `slot` of `block`.
    @inline(__always)
    public func storeValue(_ row: UnsafePointer<Float>, layer: Int, block: Int, slot: Int) {
        let values = self.values(layer: layer, block: block) + slot * headDim
        for head in 0..<keyValueHeads {
            (values + head * blockSize * headDim).update(from: row + head * headDim, count: headDim)
        }
    }

    /// A copy of the key row of `sequence` at `position` in `layer`.
    public func key(layer: Int, sequence: SequenceID, position: Int) -> [Float] {
        let (block, slot) = location(of: sequence, position: position)
        let keys = self.keys(layer: layer, block: block) + slot
        return (0..<keyValueWidth).map { keys[$0 * blockSize] }
    }

    /// A copy of the value row of `sequence` at `position` in `layer`.
    public func value(layer: Int, sequence: SequenceID, position: Int) -> [Float] {
        let (block, slot) = location(of: sequence, position: position)
        let values = self.values(layer: layer, block: block) + slot * headDim
        return (0..<keyValueHeads).flatMap { head in
            UnsafeBufferPointer(start: values + head * blockSize * headDim, count: headDim)
        }
    }

    // MARK: Pool

    /// Blocks allocated in the pool.
    public var capacity: Int { blockBases.count }
    /// Blocks referenced by at least one sequence.
    public var blocksInUse: Int { capacity - freeBlocks.count }
    public var sequenceCount: Int { sequences.count }
    /// How many sequences reference `block` (0 when free).
    public func referenceCount(of block: Int) -> Int { referenceCounts[block] }

    private subscript(sequence: SequenceID) -> Sequence {
        guard let state = sequences[sequence] else { preconditionFailure("\(sequence) is not in the cache") }
        return state
    }

    private func allocateBlock() -> Int {
        let block = freeBlocks.removeLast()
        referenceCounts[block] = 1
        return block
    }

    private func dropReference(_ block: Int) {
        precondition(referenceCounts[block] > 0, "block \(block) released twice")
        referenceCounts[block] -= 1
        if referenceCounts[block] == 0 { freeBlocks.append(block) }
    }

    /// Adds `count` blocks in one new allocation; existing blocks keep their addresses.
    private func grow(by count: Int) throws {
        let chunk = try Self.allocateLargePages(floats: count * blockFloatCount)
        chunks.append(chunk)
        let first = blockBases.count
        for i in 0..<count { blockBases.append(chunk + i * blockFloatCount) }
        referenceCounts.append(contentsOf: repeatElement(0, count: count))
        // Under the blocks already free, which go first; then low ids first.
        freeBlocks.insert(contentsOf: (first ..< first + count).reversed(), at: 0)
    }

    /// Zeroed memory aligned to 2 MiB and offered to the kernel for transparent huge pages: attention
    /// walks blocks scattered over the pool, and 4 KiB pages would cost a TLB miss per block.
    private static func allocateLargePages(floats: Int) throws -> UnsafeMutablePointer<Float> {
        let alignment = 2 << 20
        let count = (floats * MemoryLayout<Float>.stride + alignment - 1) / alignment * alignment / MemoryLayout<Float>.stride
        return try LargeAllocation.floats(count, for: "the KV cache", alignment: alignment, hugePages: true).baseAddress!
    }
}
