import Foundation

/// The one place where the buffers that grow with the model or the batch are allocated (parameters, gradients,
/// optimizer moments, activations, packed weights, the KV cache): a request beyond `MemoryLimit.current`, or
/// one the system refuses, is an `OutOfMemoryError` naming what it was for, where Swift's own allocation would
/// stop the process. The memory comes zeroed (from `calloc`: pages untouched cost nothing until used), unless the
/// caller writes it before reading it, and goes back through `release`.
public enum LargeAllocation {
    /// `count` zeroed floats for `purpose` (named in the error), aligned to `alignment` bytes (a power of two;
    /// up to 16 come from `calloc`, more from `posix_memalign`), offered to the kernel for transparent huge pages
    /// before they are first touched when `hugePages` (Linux).
    public static func floats(_ count: Int, for purpose: String, alignment: Int = 16,
                              hugePages: Bool = false) throws -> UnsafeMutableBufferPointer<Float> {
        try buffer(count, of: Float.self, for: purpose, alignment: alignment, hugePages: hugePages)
    }

    /// `count` values of a trivial type `Element` (floats, bfloat16 values, bytes), allocated as `floats` allocates:
    /// zeroed, or, when not `zeroed`, as they come (memory from `posix_memalign` is then not written, so that pages
    /// the caller has not used yet stay untouched and cost nothing).
    public static func buffer<Element>(_ count: Int, of: Element.Type, for purpose: String, alignment: Int = 16,
                                       hugePages: Bool = false, zeroed: Bool = true) throws -> UnsafeMutableBufferPointer<Element> {
        let stride = MemoryLayout<Element>.stride
        let (bytes, overflow) = max(count, 1).multipliedReportingOverflow(by: stride)
        let limit = MemoryLimit.current
        guard !overflow, bytes <= limit.bytes else {
            throw OutOfMemoryError(purpose: purpose, bytes: Double(max(count, 1)) * Double(stride), limit: limit)
        }
        let memory: UnsafeMutableRawPointer?
        if alignment <= 16 && !hugePages {
            memory = calloc(bytes, 1)
        } else {
            var aligned: UnsafeMutableRawPointer?
            if posix_memalign(&aligned, alignment, bytes) == 0, let aligned {
                #if os(Linux)
                if hugePages { _ = madvise(aligned, bytes, MADV_HUGEPAGE) }
                #endif
                if zeroed { memset(aligned, 0, bytes) }
                memory = aligned
            } else {
                memory = nil
            }
        }
        guard let memory else { throw OutOfMemoryError(purpose: purpose, bytes: Double(bytes), limit: nil) }
        return UnsafeMutableBufferPointer(start: memory.bindMemory(to: Element.self, capacity: max(count, 1)), count: count)
    }

    /// Returns memory `floats` or `buffer` gave.
    public static func release(_ memory: UnsafeMutableRawPointer?) {
        free(memory)
    }
}

/// A buffer the process cannot have: what it was for, its size, and the limit it exceeds (nil when the system
/// refused it below the limit).
public struct OutOfMemoryError: Error, CustomStringConvertible, Equatable, Sendable {
    public var purpose: String
    public var bytes: Double
    public var limit: MemoryLimit?

    public var description: String {
        let need = "\(MemoryLimit.text(bytes)) for \(purpose)"
        guard let limit else { return "out of memory: the system refused \(need)" }
        return "out of memory: \(need) exceed the \(limit) this process can have"
    }
}
