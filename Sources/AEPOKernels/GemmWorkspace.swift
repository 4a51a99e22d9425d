import Foundation

/// Packing buffers for one `sgemm` call: a shared panel of B (`kc × nc`), one block of A
/// (`mc × kc`) per thread, and a shared copy of a whole `kc`-deep panel of A (grown on demand).
/// Allocated once and recycled through a free list, so concurrent or
/// nested calls each get their own and steady-state calls allocate nothing.
final class GemmWorkspace {
    let packedB: UnsafeMutablePointer<Float>
    let packedA: [UnsafeMutablePointer<Float>]

    private var sharedAStorage: UnsafeMutablePointer<Float>?
    private var sharedACapacity = 0

    /// A buffer of at least `count` floats for A packed whole, shared by the threads of one call.
    func sharedA(count: Int) -> UnsafeMutablePointer<Float> {
        if let sharedAStorage, sharedACapacity >= count { return sharedAStorage }
        sharedAStorage?.deallocate()
        let storage = Self.allocate(count)
        (sharedAStorage, sharedACapacity) = (storage, count)
        return storage
    }

    private init() {
        packedB = Self.allocate(GemmBlocking.kc * GemmBlocking.nc)
        packedA = (0..<Parallel.threadCount).map { _ in Self.allocate(GemmBlocking.mc * GemmBlocking.kc) }
    }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
        return raw.bindMemory(to: Float.self, capacity: count)
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var free: [GemmWorkspace] = []

    /// Lends a workspace to `body` and takes it back afterwards.
    static func with<T>(_ body: (GemmWorkspace) -> T) -> T {
        lock.lock()
        let workspace = free.popLast() ?? GemmWorkspace()
        lock.unlock()
        defer {
            lock.lock()
            free.append(workspace)
            lock.unlock()
        }
        return body(workspace)
    }
}
