import Foundation

/// Packing buffers for one `sgemm` call: a shared panel of B (`kc × nc`) and one block of A
/// (`mc × kc`) per thread. Allocated once and recycled through a free list, so concurrent or
/// nested calls each get their own and steady-state calls allocate nothing.
final class GemmWorkspace {
    let packedB: UnsafeMutablePointer<Float>
    let packedA: [UnsafeMutablePointer<Float>]

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
