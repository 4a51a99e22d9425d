import AEPOCore

/// A position in an endless, seeded stream of dataset indices: each epoch is a fresh permutation of
/// `0..<count` drawn from `SeededGenerator(seed).derived(stream: epoch)`. Saved in checkpoints so a resumed run
/// reads exactly the items it would have read.
public struct DataCursor: Codable, Equatable, Sendable {
    public let count: Int
    public let seed: UInt64
    public private(set) var epoch = 0
    public private(set) var position = 0

    public init(count: Int, seed: UInt64) {
        precondition(count > 0, "an empty dataset")
        self.count = count
        self.seed = seed
    }

    /// The permutation of epoch `epoch`.
    public func order(epoch: Int) -> [Int] {
        var generator = SeededGenerator(seed: seed).derived(stream: UInt64(epoch))
        return generator.permutation(count)
    }

    /// The next `n` indices, crossing into the next epoch when this one runs out.
    public mutating func next(_ n: Int) -> [Int] {
        var out: [Int] = []
        var current = order(epoch: epoch)
        while out.count < n {
            if position == count {
                epoch += 1
                position = 0
                current = order(epoch: epoch)
            }
            out.append(current[position])
            position += 1
        }
        return out
    }
}
