import AEPOCore

/// A reusable float buffer carved into consecutive slices: allocated once, grown only when a
/// larger shape arrives, so a training step allocates nothing after the first.
final class FloatArena {
    /// What the buffer holds, named when it cannot grow.
    private let purpose: String
    private var storage: UnsafeMutablePointer<Float>?
    private var capacity = 0
    private var used = 0

    init(purpose: String) {
        self.purpose = purpose
    }

    deinit { LargeAllocation.release(storage) }

    /// Makes room for `count` floats in total and forgets earlier slices; an `OutOfMemoryError` when they do not fit.
    func reset(reserving count: Int) throws {
        used = 0
        guard count > capacity else { return }
        LargeAllocation.release(storage)
        storage = nil
        capacity = 0
        storage = try LargeAllocation.floats(count, for: purpose).baseAddress
        capacity = count
    }

    /// The next `count` floats (contents undefined).
    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        precondition(used + count <= capacity, "arena overflow: reserve the full size first")
        defer { used += count }
        return storage! + used
    }
}
