/// How a set of tensors (a checkpoint's weights, an optimizer's state) is split into safetensors shards, as
/// transformers splits them (`max_shard_size`): in order, each tensor joins the current shard unless that would take it
/// past `maxShardBytes`, when a new shard starts; a tensor larger than the limit gets a shard of its own. Shard `i` of
/// `n` of the set `stem` is `<stem>-0000i-of-0000n.safetensors` (`model-00001-of-00002.safetensors`).
struct ShardPlan: Equatable {
    /// Each shard's tensors, as indices into the byte counts given, in order.
    let shards: [[Int]]
    /// The bytes of every tensor (`metadata.total_size` of the index).
    let totalBytes: Int

    init(byteCounts: [Int], maxShardBytes: Int) {
        precondition(maxShardBytes > 0, "the largest shard must be positive, got \(maxShardBytes)")
        var shards: [[Int]] = [[]]
        var bytes = 0
        for (tensor, count) in byteCounts.enumerated() {
            if !shards[shards.count - 1].isEmpty && bytes + count > maxShardBytes {
                shards.append([])
                bytes = 0
            }
            shards[shards.count - 1].append(tensor)
            bytes += count
        }
        self.shards = shards
        totalBytes = byteCounts.reduce(0, +)
    }

    /// The file name of shard `index` (from 0) of the set `stem`.
    func fileName(_ index: Int, stem: String) -> String {
        func number(_ n: Int) -> String {
            let digits = String(n)
            return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
        }
        return "\(stem)-\(number(index + 1))-of-\(number(shards.count)).safetensors"
    }
}
