/// A reusable float buffer carved into consecutive slices: allocated once, grown only when a
/// larger shape arrives, so a training step allocates nothing after the first.
final class FloatArena {
    private var storage: UnsafeMutablePointer<Float>
    private var capacity: Int
    private var used = 0

    init() {
        capacity = 0
        storage = .allocate(capacity: 0)
    }

    deinit { storage.deallocate() }

    /// Makes room for `count` floats in total and forgets earlier slices.
    func reset(reserving count: Int) {
        used = 0
        guard count > capacity else { return }
        storage.deallocate()
        storage = .allocate(capacity: count)
        capacity = count
    }

    /// The next `count` floats (contents undefined).
    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        precondition(used + count <= capacity, "arena overflow: reserve the full size first")
        defer { used += count }
        return storage + used
    }
}
