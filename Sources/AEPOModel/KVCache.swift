import AEPOCore
import AEPOKernels
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
/// loads along the slots), values `[keyValueHeads][blockSize][headDim]`, elements of `dataType`
/// (float32, bfloat16 or int8). An int8 cache also holds, after every layer's elements, one
/// float32 scale per layer, key or value, head and slot (`[layers][2][keyValueHeads][blockSize]`).
/// Each sequence owns a *block table* (block ids in position order) and a length; position `p`
/// lives in block `table[p / blockSize]`, slot `p % blockSize`.
///
/// Blocks are reference-counted. `fork` gives a new sequence the parent's whole table without
/// copying anything; full blocks are never written again, so they stay shared for good. The
/// last, partially filled block is copied only when one of its sharers appends to it
/// (copy-on-write). `release` drops a sequence's references and frees blocks that reach zero.
/// The pool grows (new blocks, existing ones never move) when too few blocks are free, by what is missing but at least
/// an eighth of its size, so that it holds at most `9/8` of the blocks a workload needs plus one 2 MiB page's worth
/// (`makeRoom`); memory the process cannot have is an `OutOfMemoryError` (`LargeAllocation`). New blocks are not
/// zeroed: attention reads a position only once its key and value are stored (the slots past a block's last position
/// enter whole-vector score lanes that the softmax never reads, and a copy-on-write copies them unused), so a block
/// costs memory only from its first use.
///
/// Not thread-safe: the engine reserves positions serially, then threads write and read rows
/// through the pointers below (block memory is stable for the cache's lifetime).
public final class KVCache {
    public let layerCount: Int
    public let keyValueHeads: Int
    public let headDim: Int
    public let blockSize: Int
    /// How keys and values are stored.
    public let dataType: KVCacheDataType
    /// `keyValueHeads · headDim`: the elements of one position's key (or value) row.
    public var keyValueWidth: Int { keyValueHeads * headDim }
    /// Bytes per block: all layers, keys and values, and their scales.
    public let blockByteCount: Int
    /// Bytes from a block's base to its scales.
    private let scaleStart: Int

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

    private var chunks: [UnsafeMutableRawPointer] = []
    private var blockBases: [UnsafeMutableRawPointer] = []
    private var referenceCounts: [Int] = []
    private var freeBlocks: [Int] = []
    private var sequences: [SequenceID: Sequence] = [:]
    private var nextSequence = 0

    public init(layerCount: Int, keyValueHeads: Int, headDim: Int, blockSize: Int = 16, initialBlocks: Int = 64,
                dataType: KVCacheDataType = .float32) throws {
        precondition(layerCount > 0 && keyValueHeads > 0 && headDim > 0 && blockSize > 0, "empty cache shape")
        self.layerCount = layerCount
        self.keyValueHeads = keyValueHeads
        self.headDim = headDim
        self.blockSize = blockSize
        self.dataType = dataType
        // Each part starts on a 64-byte line, so that vector loads of a block never straddle two parts.
        func line(_ bytes: Int) -> Int { (bytes + 63) / 64 * 64 }
        scaleStart = line(layerCount * 2 * blockSize * keyValueHeads * headDim * dataType.elementSize)
        let scales = dataType.isScaled ? layerCount * 2 * keyValueHeads * blockSize * MemoryLayout<Float>.stride : 0
        blockByteCount = line(scaleStart + scales)
        try grow(by: max(1, initialBlocks))
    }

    /// A cache shaped for `config`: per layer and position, one key and one value of
    /// `numKeyValueHeads × headDim` elements of `dataType`.
    public convenience init(config: Qwen3Config, blockSize: Int = 16, initialBlocks: Int = 64,
                            dataType: KVCacheDataType = .float32) throws {
        try self.init(
            layerCount: config.numHiddenLayers, keyValueHeads: config.numKeyValueHeads, headDim: config.headDim,
            blockSize: blockSize, initialBlocks: initialBlocks, dataType: dataType)
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
                blockBases[copy].copyMemory(from: blockBases[shared], byteCount: blockByteCount)
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

    /// Grows the pool so that appending each request's positions takes no allocation, by the blocks missing but at
    /// least `capacity / 8` (a pool grown step by step allocates `O(log n)` times; a doubling pool held up to twice
    /// what it needed): a pool that cannot grow throws before any sequence changes.
    public func makeRoom(for requests: [(sequence: SequenceID, count: Int)]) throws {
        let needed = requests.reduce(0) { total, request in
            let state = self[request.sequence]
            let fresh = (state.length + request.count + blockSize - 1) / blockSize - (state.length + blockSize - 1) / blockSize
            let partial = state.length % blockSize != 0 && request.count > 0
            return total + fresh + (partial && referenceCounts[state.blocks[state.blocks.count - 1]] > 1 ? 1 : 0)
        }
        if freeBlocks.count < needed { try grow(by: max(needed - freeBlocks.count, capacity / 8)) }
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
    public func base(of block: Int) -> UnsafeMutableRawPointer { blockBases[block] }

    /// Where `layer` lives in the blocks at `blocks` (`base(of:)` of each, in position order), for `PagedAttention`.
    func pages(layer: Int, blocks: UnsafePointer<UnsafeMutableRawPointer>) -> PagedAttention.Pages {
        PagedAttention.Pages(blocks: blocks, keyOffset: elementOffset(layer: layer, value: false),
                             valueOffset: elementOffset(layer: layer, value: true),
                             keyScaleOffset: scaleOffset(layer: layer, value: false),
                             valueScaleOffset: scaleOffset(layer: layer, value: true), blockSize: blockSize, dataType: dataType)
    }

    /// Bytes from a block's base to the keys (`[keyValueHeads][headDim][blockSize]`) or the values
    /// (`[keyValueHeads][blockSize][headDim]`) of `layer`.
    @inline(__always)
    private func elementOffset(layer: Int, value: Bool) -> Int {
        (2 * layer + (value ? 1 : 0)) * blockSize * keyValueWidth * dataType.elementSize
    }

    /// Bytes from a block's base to the scales (`[keyValueHeads][blockSize]` floats) of the keys or values of `layer`.
    @inline(__always)
    private func scaleOffset(layer: Int, value: Bool) -> Int {
        scaleStart + (2 * layer + (value ? 1 : 0)) * keyValueHeads * blockSize * MemoryLayout<Float>.stride
    }

    /// Stores a key row (`keyValueWidth` floats, heads concatenated) at `slot` of `block`.
    public func storeKey(_ row: UnsafePointer<Float>, layer: Int, block: Int, slot: Int) {
        store(row, layer: layer, value: false, block: block, slot: slot)
    }

    /// Stores a value row (`keyValueWidth` floats, heads concatenated) at `slot` of `block`.
    public func storeValue(_ row: UnsafePointer<Float>, layer: Int, block: Int, slot: Int) {
        store(row, layer: layer, value: true, block: block, slot: slot)
    }

    /// A copy of the key row of `sequence` at `position` in `layer`, as attention reads it.
    public func key(layer: Int, sequence: SequenceID, position: Int) -> [Float] {
        row(layer: layer, value: false, sequence: sequence, position: position)
    }

    /// A copy of the value row of `sequence` at `position` in `layer`, as attention reads it.
    public func value(layer: Int, sequence: SequenceID, position: Int) -> [Float] {
        row(layer: layer, value: true, sequence: sequence, position: position)
    }

    /// Where head `head`'s part of a key (`value` false) or value row starts, the step between its elements, and its scale.
    private func layout(layer: Int, value: Bool, block: Int, slot: Int, head: Int)
        -> (elements: UnsafeMutableRawPointer, stride: Int, scale: UnsafeMutablePointer<Float>) {
        let base = blockBases[block]
        let headStart = head * headDim * blockSize + (value ? slot * headDim : slot)
        let elements = base + elementOffset(layer: layer, value: value) + headStart * dataType.elementSize
        let scale = (base + scaleOffset(layer: layer, value: value)).assumingMemoryBound(to: Float.self) + head * blockSize + slot
        return (elements, value ? 1 : blockSize, scale)
    }

    private func store(_ row: UnsafePointer<Float>, layer: Int, value: Bool, block: Int, slot: Int) {
        func write<Element: KVCacheElement>(_: Element.Type) {
            for head in 0..<keyValueHeads {
                let (elements, stride, scale) = layout(layer: layer, value: value, block: block, slot: slot, head: head)
                let s = Element.store(row + head * headDim, count: headDim, to: elements.assumingMemoryBound(to: Element.self),
                                      stride: stride)
                if Element.isScaled { scale.pointee = s }
            }
        }
        switch dataType {
        case .float32: write(Float.self)
        case .bfloat16: write(BFloat16.self)
        case .int8: write(Int8.self)
        }
    }

    private func row(layer: Int, value: Bool, sequence: SequenceID, position: Int) -> [Float] {
        let (block, slot) = location(of: sequence, position: position)
        func read<Element: KVCacheElement>(_: Element.Type) -> [Float] {
            (0..<keyValueHeads).flatMap { head in
                let (elements, stride, scale) = layout(layer: layer, value: value, block: block, slot: slot, head: head)
                let typed = elements.assumingMemoryBound(to: Element.self)
                return (0..<headDim).map { Element.isScaled ? scale.pointee * typed[$0 * stride].float : typed[$0 * stride].float }
            }
        }
        switch dataType {
        case .float32: return read(Float.self)
        case .bfloat16: return read(BFloat16.self)
        case .int8: return read(Int8.self)
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

    /// Adds at least `count` blocks in one new allocation, as many as its whole 2 MiB pages hold; existing blocks keep
    /// their addresses.
    private func grow(by count: Int) throws {
        let bytes = (count * blockByteCount + Self.largePage - 1) / Self.largePage * Self.largePage
        let chunk = try Self.allocateLargePages(bytes: bytes)
        let added = bytes / blockByteCount
        chunks.append(chunk)
        let first = blockBases.count
        for i in 0..<added { blockBases.append(chunk + i * blockByteCount) }
        referenceCounts.append(contentsOf: repeatElement(0, count: added))
        // Under the blocks already free, which go first; then low ids first.
        freeBlocks.insert(contentsOf: (first ..< first + added).reversed(), at: 0)
    }

    /// A transparent huge page (x86-64, and the alignment elsewhere).
    private static let largePage = 2 << 20

    /// `bytes` (whole `largePage`s) aligned to a large page, not zeroed, and offered to the kernel for transparent huge
    /// pages: attention walks blocks scattered over the pool, and 4 KiB pages would cost a TLB miss per block.
    private static func allocateLargePages(bytes: Int) throws -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(try LargeAllocation.buffer(bytes, of: UInt8.self, for: "the KV cache", alignment: largePage,
                                                           hugePages: true, zeroed: false).baseAddress!)
    }
}
