import AEPOCore
@testable import AEPOModel
import XCTest

/// The stored types of a `KVCache` (`KVCacheDataType`): what a row reads back as, against closed-form bounds; forks and
/// copy-on-write of quantised blocks; the bytes a position takes.
final class KVCacheDataTypeTests: XCTestCase {
    /// A key or value row whose heads have magnitudes 10⁻³ to 10² and one outlier each, so that scales differ by head.
    private func randomRow(heads: Int, headDim: Int, _ rng: inout SeededGenerator) -> [Float] {
        (0..<heads).flatMap { head -> [Float] in
            let magnitude = Float([1e-3, 1, 100][head % 3])
            var row = (0..<headDim).map { _ in magnitude * (rng.nextFloat() * 2 - 1) }
            row[Int(rng.next() % UInt64(headDim))] = magnitude * 5
            return row
        }
    }

    /// Fills `positions` of `sequence` with random rows in every layer; returns the rows written, `[layer][position]`
    /// keys and values.
    @discardableResult
    private func write(_ cache: KVCache, _ sequence: SequenceID, positions: Range<Int>, _ rng: inout SeededGenerator)
        -> [[(key: [Float], value: [Float])]] {
        (0..<cache.layerCount).map { layer in
            positions.map { position in
                let (block, slot) = cache.location(of: sequence, position: position)
                let key = randomRow(heads: cache.keyValueHeads, headDim: cache.headDim, &rng)
                let value = randomRow(heads: cache.keyValueHeads, headDim: cache.headDim, &rng)
                cache.storeKey(key, layer: layer, block: block, slot: slot)
                cache.storeValue(value, layer: layer, block: block, slot: slot)
                return (key, value)
            }
        }
    }

    /// Every row of `sequence` as read back, keys then values, `[layer][position]`.
    private func snapshot(_ cache: KVCache, _ sequence: SequenceID, positions: Range<Int>) -> [[[Float]]] {
        (0..<cache.layerCount).map { layer in
            positions.flatMap { [cache.key(layer: layer, sequence: sequence, position: $0),
                                 cache.value(layer: layer, sequence: sequence, position: $0)] }
        }
    }

    /// `|scale · q − x| ≤ scale / 2` for every element, with `scale = max|x| / 127` over the element's head; the slack
    /// `scale · 1e-4` covers float32's rounding of the division, the scale and the product (each at most 2⁻²⁴ of a value
    /// up to 127.5 · scale, about `scale · 2.3e-5` together).
    func testInt8RowsReadBackWithinHalfAScale() throws {
        let (heads, d) = (3, 20)
        let cache = try KVCache(layerCount: 2, keyValueHeads: heads, headDim: d, blockSize: 4, initialBlocks: 2, dataType: .int8)
        let s = cache.makeSequence()
        try cache.appendPositions(to: s, count: 9)
        var rng = SeededGenerator(seed: 3)
        let written = write(cache, s, positions: 0..<9, &rng)
        var worstRatio: Float = 0
        for layer in 0..<2 {
            for position in 0..<9 {
                let rows = [(written[layer][position].key, cache.key(layer: layer, sequence: s, position: position)),
                            (written[layer][position].value, cache.value(layer: layer, sequence: s, position: position))]
                for (original, read) in rows {
                    for head in 0..<heads {
                        let part = head * d ..< (head + 1) * d
                        let scale = original[part].map(\.magnitude).max()! / 127
                        for i in part {
                            let error = abs(read[i] - original[i])
                            XCTAssertLessThanOrEqual(error, scale * (0.5 + 1e-4), "layer \(layer), position \(position), element \(i)")
                            worstRatio = max(worstRatio, error / scale)
                        }
                    }
                }
            }
        }
        XCTAssertGreaterThan(worstRatio, 0.4, "the rows are quantised (a float32 store would read back exactly)")
    }

    /// A head whose row is all zeros has scale 0 and reads back zeros, beside a head with values.
    func testInt8ZeroRowReadsBackAsZeros() throws {
        let cache = try KVCache(layerCount: 1, keyValueHeads: 2, headDim: 16, blockSize: 4, initialBlocks: 1, dataType: .int8)
        let s = cache.makeSequence()
        try cache.appendPositions(to: s, count: 1)
        let row = [Float](repeating: 0, count: 16) + (0..<16).map { Float($0) - 7.5 }
        cache.storeKey(row, layer: 0, block: cache.location(of: s, position: 0).block, slot: 0)
        cache.storeValue(row, layer: 0, block: cache.location(of: s, position: 0).block, slot: 0)
        for read in [cache.key(layer: 0, sequence: s, position: 0), cache.value(layer: 0, sequence: s, position: 0)] {
            XCTAssertEqual(Array(read[..<16]), [Float](repeating: 0, count: 16))
            for i in 16..<32 { XCTAssertEqual(read[i], row[i], accuracy: 7.5 / 127 / 2 * 1.001) }
        }
    }

    /// bfloat16 rounds to the nearest of its 8 significant bits: an error of at most half a unit in the last place,
    /// `2⁻⁸ · 2^⌊log₂|x|⌋`.
    func testBFloat16RowsReadBackWithinHalfAUnitInTheLastPlace() throws {
        let cache = try KVCache(layerCount: 2, keyValueHeads: 3, headDim: 20, blockSize: 4, initialBlocks: 2, dataType: .bfloat16)
        let s = cache.makeSequence()
        try cache.appendPositions(to: s, count: 5)
        var rng = SeededGenerator(seed: 4)
        let written = write(cache, s, positions: 0..<5, &rng)
        var rounded = 0
        for layer in 0..<2 {
            for position in 0..<5 {
                let rows = [(written[layer][position].key, cache.key(layer: layer, sequence: s, position: position)),
                            (written[layer][position].value, cache.value(layer: layer, sequence: s, position: position))]
                for (original, read) in rows {
                    for (x, y) in zip(original, read) {
                        let halfUnit = x == 0 ? 0 : Float(sign: .plus, exponent: x.exponent - 8, significand: 1)
                        XCTAssertLessThanOrEqual(abs(y - x), halfUnit)
                        if y != x { rounded += 1 }
                    }
                }
            }
        }
        XCTAssertGreaterThan(rounded, 0, "the rows are rounded")
    }

    /// A fork of an int8 sequence shares its blocks (elements and scales); appending to the shared partial block copies
    /// it whole, and neither sequence ever sees the other's rows.
    func testInt8ForkAndCopyOnWriteKeepSharedBlocksIntact() throws {
        let cache = try KVCache(layerCount: 2, keyValueHeads: 2, headDim: 16, blockSize: 4, initialBlocks: 2, dataType: .int8)
        var rng = SeededGenerator(seed: 5)
        let parent = cache.makeSequence()
        try cache.appendPositions(to: parent, count: 6)  // one full block, one partial
        write(cache, parent, positions: 0..<6, &rng)
        let prefix = snapshot(cache, parent, positions: 0..<6)

        let child = cache.fork(parent)
        XCTAssertEqual(snapshot(cache, child, positions: 0..<6), prefix)
        let shared = cache.blockTable(of: parent)

        try cache.appendPositions(to: child, count: 1)  // copies the partial block
        write(cache, child, positions: 6..<7, &rng)
        try cache.appendPositions(to: parent, count: 3)  // the partial block is the parent's alone again: in place
        write(cache, parent, positions: 6..<9, &rng)
        XCTAssertEqual(cache.statistics.copiedBlocks, 1)
        XCTAssertEqual(cache.blockTable(of: child)[0], shared[0], "the full block stays shared")
        XCTAssertEqual(cache.referenceCount(of: shared[0]), 2)
        XCTAssertNotEqual(cache.blockTable(of: child)[1], shared[1])
        XCTAssertEqual(snapshot(cache, parent, positions: 0..<6), prefix)
        XCTAssertEqual(snapshot(cache, child, positions: 0..<6), prefix, "the copy carries the scales")
        XCTAssertNotEqual(cache.key(layer: 1, sequence: parent, position: 6), cache.key(layer: 1, sequence: child, position: 6))

        cache.release(parent)
        XCTAssertEqual(snapshot(cache, child, positions: 0..<6), prefix)
        cache.release(child)
        XCTAssertEqual(cache.blocksInUse, 0)
    }

    /// At Qwen3-0.6B's shape (28 layers, 8 key-value heads of 128): float32 14 GiB for 32 sequences of 2,048 tokens,
    /// bfloat16 half, int8 a quarter plus its scales; a block holds exactly its positions' bytes.
    func testBytesPerPosition() throws {
        let config = Qwen3Config(vocabSize: 151_936, hiddenSize: 1024, intermediateSize: 3072, numHiddenLayers: 28,
                                 numAttentionHeads: 16, numKeyValueHeads: 8, headDim: 128)
        XCTAssertEqual(KVCacheDataType.float32.bytesPerPosition(config), 28 * 2 * 1024 * 4)
        XCTAssertEqual(KVCacheDataType.bfloat16.bytesPerPosition(config), 28 * 2 * 1024 * 2)
        XCTAssertEqual(KVCacheDataType.int8.bytesPerPosition(config), 28 * 2 * (1024 + 8 * 4))
        XCTAssertEqual(Double(32 * 2048 * KVCacheDataType.float32.bytesPerPosition(config)), 14 * 1_073_741_824)
        for type in KVCacheDataType.allCases {
            let cache = try KVCache(config: config, initialBlocks: 1, dataType: type)
            XCTAssertEqual(cache.blockByteCount, 16 * type.bytesPerPosition(config), "\(type)")
        }
        XCTAssertEqual(try KVCacheDataType.named("int8", source: "s"), .int8)
        XCTAssertThrowsError(try KVCacheDataType.named("fp8", source: "--kv-cache-dtype")) { error in
            XCTAssertEqual("\(error)", "--kv-cache-dtype: unknown kv_cache_dtype 'fp8'; expected one of float32, bfloat16, int8")
        }
    }
}
