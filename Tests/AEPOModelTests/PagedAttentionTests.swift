import AEPOCore
@testable import AEPOModel
import Foundation
import XCTest

/// `PagedAttention.forward` against a plain double-precision softmax attention over the rows read
/// back from the cache (`KVCache.key`/`value`, dequantised): every stored type, several group sizes
/// (odd ones pair a head with itself), head dimensions around the 16-float vector, block sizes with
/// and without the vector path, lengths around block boundaries, and forked sequences that share
/// their parent's pages.
final class PagedAttentionTests: XCTestCase {
    private struct Shape {
        var queryHeads, keyValueHeads, headDim, blockSize: Int
    }

    /// Appends `count` positions of random keys and values (every layer) to `sequence`.
    private func append(_ count: Int, to sequence: SequenceID, in cache: KVCache, _ rng: inout SeededGenerator) throws {
        for position in try cache.appendPositions(to: sequence, count: count) {
            let (block, slot) = cache.location(of: sequence, position: position)
            for layer in 0..<cache.layerCount {
                let k = (0..<cache.keyValueWidth).map { _ in rng.nextFloat() * 2 - 1 }
                let v = (0..<cache.keyValueWidth).map { _ in rng.nextFloat() * 2 - 1 }
                cache.storeKey(k, layer: layer, block: block, slot: slot)
                cache.storeValue(v, layer: layer, block: block, slot: slot)
            }
        }
    }

    /// The largest error of the kernel over every layer of `sequence`, relative to `1 + |reference|`.
    private func worstError(_ shape: Shape, _ cache: KVCache, _ sequence: SequenceID, _ rng: inout SeededGenerator) -> Double {
        let (heads, d) = (shape.queryHeads, shape.headDim)
        let group = heads / shape.keyValueHeads
        let length = cache.length(of: sequence)
        var worst = 0.0
        for layer in 0..<cache.layerCount {
            // Large queries, so that the softmax is far from uniform.
            let q = (0..<(heads * d)).map { _ in 3 * (rng.nextFloat() * 2 - 1) }
            var out = [Float](repeating: .nan, count: heads * d)
            var scores = [Float](repeating: .nan, count: PagedAttention.scratchCount(queryHeads: heads, length: length,
                                                                                    blockSize: shape.blockSize))
            let bases = cache.blockTable(of: sequence).map(cache.base(of:))
            bases.withUnsafeBufferPointer { bases in
                let pages = cache.pages(layer: layer, blocks: bases.baseAddress!)
                PagedAttention.forward(outputs: &out, queries: q, queryHeads: heads, keyValueHeads: shape.keyValueHeads,
                                       headDim: d, length: length, pages: pages, scores: &scores)
            }
            let keys = (0..<length).map { cache.key(layer: layer, sequence: sequence, position: $0) }
            let values = (0..<length).map { cache.value(layer: layer, sequence: sequence, position: $0) }
            for h in 0..<heads {
                let g = h / group
                let logits = keys.map { k in
                    (0..<d).reduce(0.0) { $0 + Double(q[h * d + $1]) * Double(k[g * d + $1]) } / Double(d).squareRoot()
                }
                let top = logits.max()!
                let weights = logits.map { Foundation.exp($0 - top) }
                let total = weights.reduce(0, +)
                for i in 0..<d {
                    let expected = zip(weights, values).reduce(0.0) { $0 + $1.0 * Double($1.1[g * d + i]) } / total
                    let error = abs(Double(out[h * d + i]) - expected) / (1 + abs(expected))
                    worst = max(worst, error.isNaN ? .infinity : error)
                }
            }
        }
        return worst
    }

    func testMatchesPlainAttentionOverSharedPages() throws {
        let shapes = [
            Shape(queryHeads: 8, keyValueHeads: 4, headDim: 32, blockSize: 16),  // the reference configuration
            Shape(queryHeads: 6, keyValueHeads: 2, headDim: 12, blockSize: 16),  // groups of 3
            Shape(queryHeads: 3, keyValueHeads: 3, headDim: 33, blockSize: 16),  // no sharing, odd width
            Shape(queryHeads: 4, keyValueHeads: 1, headDim: 17, blockSize: 4),   // blocks narrower than a vector
            Shape(queryHeads: 4, keyValueHeads: 2, headDim: 16, blockSize: 32),
        ]
        var rng = SeededGenerator(seed: 11)
        for shape in shapes {
          for type in KVCacheDataType.allCases {
            for prefix in [1, 15, 16, 17, 40] {
                let cache = try KVCache(layerCount: 2, keyValueHeads: shape.keyValueHeads, headDim: shape.headDim,
                                        blockSize: shape.blockSize, initialBlocks: 4, dataType: type)
                let parent = cache.makeSequence()
                try append(prefix, to: parent, in: cache, &rng)
                let child = cache.fork(parent)
                try append(3, to: child, in: cache, &rng)
                try append(2, to: parent, in: cache, &rng)
                // A full first block stays shared; a partial one was copied when the child appended.
                let first = (cache.blockTable(of: parent)[0], cache.blockTable(of: child)[0])
                if prefix >= shape.blockSize {
                    XCTAssertEqual(first.0, first.1)
                    XCTAssertEqual(cache.referenceCount(of: first.0), 2)
                } else {
                    XCTAssertNotEqual(first.0, first.1)
                }
                for sequence in [parent, child] {
                    let worst = worstError(shape, cache, sequence, &rng)
                    XCTAssertLessThan(worst, 1e-5, "\(shape), \(type), prefix \(prefix), \(sequence)")
                }
            }
          }
        }
    }
}
