import Foundation
import Synchronization

/// Data-parallel loops over the machine's cores.
///
/// The thread count is `AEPO_THREADS` when set, otherwise the number of active processors.
/// Work runs on a persistent pool (`threadCount − 1` helper threads plus the caller), so a loop
/// costs a few microseconds to start instead of a thread hand-off per call.
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
        forEachWorker(count) { index, _ in body(index) }
    }

    /// Runs `body` with parallel loops limited to `threads` threads (at least 1, at most
    /// `threadCount`): for benchmarks and for tests that compare threaded with serial results.
    public static func withThreadLimit<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T {
        try $threadLimit.withValue(max(1, min(threads, threadCount)), operation: body)
    }

    /// The number of threads a parallel loop started here would use.
    public static var effectiveThreadCount: Int { threadLimit }

    @TaskLocal static var threadLimit: Int = threadCount

    /// The threads a loop started now would probably get: 1 inside another parallel loop (the pool
    /// is busy, so the loop would run serially), else `effectiveThreadCount`. A hint for splitting
    /// work, not a guarantee.
    static var availableThreadCount: Int {
        if #available(macOS 15, *), let pool = pool as? WorkerPool, !pool.isBusy { return threadLimit }
        return 1
    }

    /// Like `forEach`, also passing the index of the thread running the iteration,
    /// in `0..<threadCount` — for per-thread scratch buffers. Index 0 is the caller.
    /// At most `maxThreads` threads take part (1 for loops too small to be worth waking the pool).
    /// A loop started while the pool is busy (nested or concurrent loops) runs serially on the caller.
    public static func forEachWorker(_ count: Int, maxThreads: Int = .max, _ body: (_ index: Int, _ worker: Int) -> Void) {
        let threads = min(threadLimit, count, maxThreads)
        if threads > 1, #available(macOS 15, *), let pool = pool as? WorkerPool,
           pool.tryRun(count: count, threads: threads, body) {
            return
        }
        for i in 0..<count { body(i, 0) }
    }

    /// The `WorkerPool` (its atomics need macOS 15; on older macOS loops run serially).
    private static let pool: AnyObject? = {
        if #available(macOS 15, *) { return WorkerPool(helpers: threadCount - 1) }
        return nil
    }()
}

/// Helper threads that wait (spinning briefly, then sleeping) for the next loop and pull its
/// iterations from a shared counter together with the calling thread.
///
/// The caller never waits for a helper that has not started: once every iteration has been
/// claimed it closes the loop, and only helpers that joined before that are waited for. So a helper
/// descheduled on a busy machine delays nothing; the caller simply runs more iterations itself.
@available(macOS 15, *)
private final class WorkerPool: @unchecked Sendable {
    private let helpers: Int
    private let busy = Atomic<Bool>(false)
    /// Incremented to announce a loop; helpers spin on it before sleeping on `lock`.
    private let generation = Atomic<Int>(0)
    private let nextIndex = Atomic<Int>(0)
    /// Helpers currently running iterations of the open loop.
    private let participants = Atomic<Int>(0)
    private let lock = NSCondition()

    // The loop, guarded by `lock`: written when it opens, read by helpers when they join.
    private var body: ((Int, Int) -> Void)?
    private var count = 0
    private var activeHelpers = 0
    private var open = false

    init(helpers: Int) {
        self.helpers = max(0, helpers)
        for worker in 0..<self.helpers {
            let thread = Thread { [unowned self] in self.helperLoop(worker: worker + 1) }
            thread.name = "aepo-worker-\(worker + 1)"
            thread.start()
        }
    }

    /// Whether a loop is running (a loop started now would run serially).
    var isBusy: Bool { helpers == 0 || busy.load(ordering: .relaxed) }

    /// Runs the loop on up to `threads` threads and returns true, or returns false at once if the
    /// pool is busy (the caller then runs the loop itself).
    func tryRun(count: Int, threads: Int, _ body: (Int, Int) -> Void) -> Bool {
        guard helpers > 0, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            return false
        }
        withoutActuallyEscaping(body) { body in
            lock.lock()
            self.body = body
            self.count = count
            activeHelpers = min(helpers, threads - 1)
            nextIndex.store(0, ordering: .relaxed)
            open = true
            generation.add(1, ordering: .releasing)
            lock.broadcast()
            lock.unlock()

            runIterations(body, count: count, worker: 0)

            lock.lock()
            open = false
            lock.unlock()
            var spins = 0
            while participants.load(ordering: .acquiring) > 0 {
                spins += 1
                if spins > 1000 { sched_yield() }
            }
            self.body = nil
        }
        busy.store(false, ordering: .releasing)
        return true
    }

    private func runIterations(_ body: (Int, Int) -> Void, count: Int, worker: Int) {
        while true {
            let i = nextIndex.add(1, ordering: .relaxed).oldValue
            if i >= count { return }
            body(i, worker)
        }
    }

    private func helperLoop(worker: Int) {
        var seen = 0
        while true {
            // Spin a while (~0.2 ms) before sleeping: loops come in quick succession (several per
            // layer), and a decode step's serial parts (sampling) would otherwise put the helper to
            // sleep before every step and cost a wake-up.
            var spins = 0
            while generation.load(ordering: .acquiring) == seen && spins < 200_000 { spins += 1 }
            lock.lock()
            while generation.load(ordering: .acquiring) == seen { lock.wait() }
            seen = generation.load(ordering: .acquiring)
            let joined = open && worker <= activeHelpers
            if joined { participants.add(1, ordering: .relaxed) }
            lock.unlock()
            if joined {
                runOpenLoop(worker: worker)
                participants.subtract(1, ordering: .releasing)
            }
        }
    }

    /// Runs iterations of the loop this helper joined. A separate function so that its reference to
    /// the caller's closure is gone before the helper reports that it has left the loop.
    @inline(never)
    private func runOpenLoop(worker: Int) {
        guard let body else { return }
        runIterations(body, count: count, worker: worker)
    }
}
