/// Software prefetch into the second-level cache (x86 `prefetcht1`, arm64 `prfm pldl2keep`): asks
/// the memory system to start loading the line holding `address` without waiting for it. It never
/// faults and has no effect on results, so an address past the end of a buffer is harmless.
///
/// Streams whose next part is known long before it is read (the next slice of a packed weight
/// matrix, the next block of a KV cache) issue it one part ahead, so memory latency overlaps with
/// arithmetic on the current part. The second level, not the first, so that the part being worked
/// on is not evicted to make room.
@inline(__always)
public func prefetch(_ address: UnsafeRawPointer) {
    llvmPrefetch(address, 0, 2, 1)
}

/// Prefetches every 64-byte line of `byteCount` bytes from `start`.
@inline(__always)
public func prefetch(_ start: UnsafeRawPointer, byteCount: Int) {
    for offset in stride(from: 0, to: byteCount, by: 64) { prefetch(start + offset) }
}

/// LLVM's `llvm.prefetch` intrinsic: (address, 0 = read, locality 0...3, 1 = data cache). The
/// arguments after the address must be constants.
@_silgen_name("llvm.prefetch.p0")
private func llvmPrefetch(_ address: UnsafeRawPointer, _ readWrite: Int32, _ locality: Int32, _ cacheType: Int32)
