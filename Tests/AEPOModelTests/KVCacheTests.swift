import AEPOModel
import XCTest

final class KVCacheTests: XCTestCase {
    /// A recognisable value for (sequence tag, layer, key/value, position, element).
    private func stamp(_ tag: Int, _ layer: Int, _ isValue: Bool, _ position: Int, _ i: Int) -> Float {
        Float(tag * 1_000_000 + layer * 100_000 + (isValue ? 50_000 : 0) + position * 10 + i)
    }

    private func write(_ cache: KVCache, _ sequence: SequenceID, tag: Int, positions: Range<Int>) {
        for layer in 0..<cache.layerCount {
            for p in positions {
                let (block, slot) = cache.location(of: sequence, position: p)
                let k = (0..<cache.keyValueWidth).map { stamp(tag, layer, false, p, $0) }
                let v = (0..<cache.keyValueWidth).map { stamp(tag, layer, true, p, $0) }
                cache.storeKey(k, layer: layer, block: block, slot: slot)
                cache.storeValue(v, layer: layer, block: block, slot: slot)
            }
        }
    }

    /// Checks every stored row of `sequence`: positions below `split` carry `prefixTag`, the rest `tag`.
    private func check(_ cache: KVCache, _ sequence: SequenceID, prefixTag: Int, split: Int, tag: Int,
                       file: StaticString = #filePath, line: UInt = #line) {
        for layer in 0..<cache.layerCount {
            for p in 0..<cache.length(of: sequence) {
                let t = p < split ? prefixTag : tag
                let k = cache.key(layer: layer, sequence: sequence, position: p)
                let v = cache.value(layer: layer, sequence: sequence, position: p)
                for i in 0..<cache.keyValueWidth {
                    XCTAssertEqual(k[i], stamp(t, layer, false, p, i), "key l\(layer) p\(p)", file: file, line: line)
                    XCTAssertEqual(v[i], stamp(t, layer, true, p, i), "value l\(layer) p\(p)", file: file, line: line)
                }
            }
        }
    }

    func testAppendFillsBlocksInOrder() throws {
        let cache = try KVCache(layerCount: 2, keyValueHeads: 2, headDim: 3, blockSize: 4, initialBlocks: 8)
        let s = cache.makeSequence()
        XCTAssertEqual(try cache.appendPositions(to: s, count: 5), 0..<5)
        XCTAssertEqual(cache.blockTable(of: s).count, 2)
        XCTAssertEqual(try cache.appendPositions(to: s, count: 3), 5..<8)
        XCTAssertEqual(cache.blockTable(of: s).count, 2)
        try cache.appendPositions(to: s, count: 1)
        XCTAssertEqual(cache.blockTable(of: s).count, 3)
        XCTAssertEqual(cache.length(of: s), 9)
        XCTAssertEqual(cache.blocksInUse, 3)
        XCTAssertEqual(cache.statistics.computedPositions, 9)
        write(cache, s, tag: 1, positions: 0..<9)
        check(cache, s, prefixTag: 1, split: 9, tag: 1)
    }

    func testForkSharesEveryBlockWithoutCopyingOrComputing() throws {
        let cache = try KVCache(layerCount: 2, keyValueHeads: 2, headDim: 3, blockSize: 4, initialBlocks: 8)
        let parent = cache.makeSequence()
        try cache.appendPositions(to: parent, count: 6)  // one full block, one partial
        write(cache, parent, tag: 1, positions: 0..<6)
        let before = cache.statistics.computedPositions
        let child = cache.fork(parent)
        XCTAssertEqual(cache.statistics.computedPositions, before, "a fork computes no positions")
        XCTAssertEqual(cache.blockTable(of: child), cache.blockTable(of: parent))
        XCTAssertEqual(cache.blocksInUse, 2)
        for block in cache.blockTable(of: parent) { XCTAssertEqual(cache.referenceCount(of: block), 2) }
        XCTAssertEqual(cache.statistics.copiedBlocks, 0)
        check(cache, child, prefixTag: 1, split: 6, tag: 1)
    }

    func testCopyOnWriteOfThePartialBlock() throws {
        let cache = try KVCache(layerCount: 2, keyValueHeads: 2, headDim: 3, blockSize: 4, initialBlocks: 8)
        let parent = cache.makeSequence()
        try cache.appendPositions(to: parent, count: 6)
        write(cache, parent, tag: 1, positions: 0..<6)
        let child = cache.fork(parent)
        let shared = cache.blockTable(of: parent)

        // The parent appends first: it gets a private copy of the partial block.
        try cache.appendPositions(to: parent, count: 1)
        write(cache, parent, tag: 2, positions: 6..<7)
        XCTAssertEqual(cache.statistics.copiedBlocks, 1)
        XCTAssertEqual(cache.blockTable(of: parent)[0], shared[0], "full blocks stay shared")
        XCTAssertNotEqual(cache.blockTable(of: parent)[1], shared[1])
        XCTAssertEqual(cache.referenceCount(of: shared[0]), 2)
        XCTAssertEqual(cache.referenceCount(of: shared[1]), 1)

        // The child is now the block's only owner and appends in place.
        try cache.appendPositions(to: child, count: 3)
        write(cache, child, tag: 3, positions: 6..<9)
        XCTAssertEqual(cache.statistics.copiedBlocks, 1)
        XCTAssertEqual(cache.blockTable(of: child)[1], shared[1])
        check(cache, parent, prefixTag: 1, split: 6, tag: 2)
        check(cache, child, prefixTag: 1, split: 6, tag: 3)
        XCTAssertEqual(cache.blocksInUse, 4)  // shared full, parent copy, child partial, child new
    }

    func testForkAtABlockBoundaryNeedsNoCopy() throws {
        let cache = try KVCache(layerCount: 1, keyValueHeads: 1, headDim: 2, blockSize: 4, initialBlocks: 4)
        let parent = cache.makeSequence()
        try cache.appendPositions(to: parent, count: 8)
        write(cache, parent, tag: 1, positions: 0..<8)
        let child = cache.fork(parent)
        try cache.appendPositions(to: parent, count: 1)
        try cache.appendPositions(to: child, count: 1)
        write(cache, parent, tag: 2, positions: 8..<9)
        write(cache, child, tag: 3, positions: 8..<9)
        XCTAssertEqual(cache.statistics.copiedBlocks, 0)
        check(cache, parent, prefixTag: 1, split: 8, tag: 2)
        check(cache, child, prefixTag: 1, split: 8, tag: 3)
    }

    func testReleaseFreesOnlyUnsharedBlocksAndNothingLeaks() throws {
        let cache = try KVCache(layerCount: 1, keyValueHeads: 1, headDim: 2, blockSize: 4, initialBlocks: 2)
        let root = cache.makeSequence()
        try cache.appendPositions(to: root, count: 10)
        write(cache, root, tag: 1, positions: 0..<10)
        var branches = (0..<5).map { _ in cache.fork(root) }
        branches.append(cache.fork(branches[0]))  // a fork of a fork
        for (n, b) in branches.enumerated() {
            try cache.appendPositions(to: b, count: n + 1)
            write(cache, b, tag: 10 + n, positions: 10..<(11 + n))
        }
        XCTAssertGreaterThan(cache.capacity, 2, "the pool grew")
        cache.release(root)
        XCTAssertFalse(cache.contains(root))
        for (n, b) in branches.enumerated() { check(cache, b, prefixTag: 1, split: 10, tag: 10 + n) }
        for b in branches.dropLast() { cache.release(b) }
        check(cache, branches[5], prefixTag: 1, split: 10, tag: 15)
        XCTAssertEqual(cache.blocksInUse, 4)  // two shared full blocks + its own last two
        cache.release(branches[5])
        XCTAssertEqual(cache.blocksInUse, 0)
        XCTAssertEqual(cache.sequenceCount, 0)
        // Freed blocks are reused before the pool grows again.
        let capacity = cache.capacity
        let s = cache.makeSequence()
        try cache.appendPositions(to: s, count: 4 * capacity)
        XCTAssertEqual(cache.capacity, capacity)
        XCTAssertEqual(Set(cache.blockTable(of: s)).count, capacity)
    }

    /// The pool grows by what a workload lacks, at least an eighth of itself, in whole 2 MiB pages: 32 sequences
    /// decoded one position at a time to 300 positions need 32 · ⌈300/16⌉ = 608 blocks of 256 KiB, and the pool holds
    /// at most `9/8` of that plus one page's 8 blocks (doubling held 1,024). A request of known size grows it exactly.
    func testThePoolHoldsLittleMoreThanTheWorkloadNeeds() throws {
        let cache = try KVCache(layerCount: 4, keyValueHeads: 8, headDim: 64, blockSize: 16, initialBlocks: 8)
        XCTAssertEqual(cache.blockByteCount, 256 << 10)
        XCTAssertEqual(cache.capacity, 8)
        let sequences = (0..<32).map { _ in cache.makeSequence() }
        for _ in 0..<300 { try cache.makeRoom(for: sequences.map { ($0, 1) }); for s in sequences { try cache.appendPositions(to: s, count: 1) } }
        XCTAssertEqual(cache.blocksInUse, 608)
        XCTAssertLessThanOrEqual(cache.capacity, 608 + 608 / 8 + 8)
        sequences.forEach(cache.release)

        let known = try KVCache(layerCount: 4, keyValueHeads: 8, headDim: 64, blockSize: 16, initialBlocks: 8)
        try known.appendPositions(to: known.makeSequence(), count: 1_000 * 16)
        XCTAssertEqual(known.capacity, 1_000, "8 blocks, then the 992 missing")
    }

    func testConfigShape() throws {
        let config = Qwen3Config(vocabSize: 10, hiddenSize: 8, intermediateSize: 16, numHiddenLayers: 3,
                                 numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 5)
        let cache = try KVCache(config: config)
        XCTAssertEqual(cache.layerCount, 3)
        XCTAssertEqual(cache.keyValueWidth, 10)
        XCTAssertEqual(cache.dataType, .float32)
        XCTAssertEqual(cache.blockByteCount, 3 * 2 * 16 * 10 * 4)
    }
}
