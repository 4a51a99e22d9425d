import Foundation

/// Packing buffers for one `sgemm` or attention call: a shared group of B's panels (`GemmBlocking.groupFloats`), one block
/// of A (`mc × kc`) per thread, and a growable buffer for anything larger (see `buffer(count:)`).
/// Allocated once and recycled through a free list, so concurrent or nested calls each get their
/// own and steady-state calls allocate nothing.
final class GemmWorkspace {
    let packedB: UnsafeMutablePointer<Float>
    let packedA: [UnsafeMutablePointer<Float>]

    private var storage: UnsafeMutablePointer<Float>?
    private var capacity = 0

    /// A buffer of at least `count` floats, 64-byte aligned, beyond the fixed blocks: A packed whole
    /// and shared by the threads of one `sgemm` call, or attention's per-thread packed heads.
    /// Its contents are not kept between calls.
    func buffer(count: Int) -> UnsafeMutablePointer<Float> {
        if let storage, capacity >= count { return storage }
        storage?.deallocate()
        let grown = Self.allocate(count)
        (storage, capacity) = (grown, count)
        return grown
    }

    private init() {
        packedB = Self.allocate(max(GemmBlocking.kc * GemmBlocking.nc, GemmBlocking.groupFloats))
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
