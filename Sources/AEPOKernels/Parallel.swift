import Dispatch
import Foundation

/// Data-parallel loops over the machine's cores.
///
/// The thread count is `AEPO_THREADS` when set, otherwise the number of active processors.
public enum Parallel {
    public static let threadCount: Int = {
        if let text = ProcessInfo.processInfo.environment["AEPO_THREADS"], let n = Int(text), n > 0 {
            return n
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Calls `body(i)` for every `i` in `0..<count`, spread over `threadCount` threads.
    /// Iterations must be independent; `body` returns when all have run.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count <= 1 || threadCount == 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: count, execute: body)
        }
    }
}
