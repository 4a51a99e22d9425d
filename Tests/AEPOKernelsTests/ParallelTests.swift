import Dispatch
@testable import AEPOKernels
import XCTest

final class ParallelTests: XCTestCase {
    func testEveryIndexRunsExactlyOnce() {
        for count in [0, 1, 2, 3, 17, 1000] {
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
            hits.initialize(repeating: 0, count: max(count, 1))
            defer { hits.deallocate() }
            Parallel.forEach(count) { hits[$0] += 1 }
            XCTAssertEqual((0..<count).filter { hits[$0] != 1 }, [], "count \(count)")
        }
    }

    func testWorkerIndicesAreInRangeAndNestedLoopsRun() {
        let count = 64
        let workers = UnsafeMutablePointer<Int>.allocate(capacity: count)
        let inner = UnsafeMutablePointer<Int>.allocate(capacity: count)
        defer { workers.deallocate(); inner.deallocate() }
        Parallel.forEachWorker(count) { i, worker in
            workers[i] = worker
            var total = 0
            Parallel.forEach(10) { total += $0 }  // nested: runs serially on this thread
            inner[i] = total
        }
        for i in 0..<count {
            XCTAssertTrue((0..<Parallel.threadCount).contains(workers[i]))
            XCTAssertEqual(inner[i], 45)
        }
    }

    func testThreadLimit() {
        Parallel.withThreadLimit(1) {
            XCTAssertEqual(Parallel.effectiveThreadCount, 1)
            var order: [Int] = []
            Parallel.forEach(5) { order.append($0) }
            XCTAssertEqual(order, [0, 1, 2, 3, 4])
        }
        XCTAssertEqual(Parallel.effectiveThreadCount, Parallel.threadCount)
    }

    func testManyQuickLoopsFromConcurrentCallers() {
        // Loops in quick succession (helpers spinning) and from two threads at once (one of them
        // finds the pool busy and runs serially): every loop still covers its range exactly.
        let callers = 2, loops = 2000, count = 7
        let totals = UnsafeMutablePointer<Int>.allocate(capacity: callers)
        defer { totals.deallocate() }
        DispatchQueue.concurrentPerform(iterations: callers) { caller in
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: count)
            defer { hits.deallocate() }
            var total = 0
            for _ in 0..<loops {
                hits.initialize(repeating: 0, count: count)
                Parallel.forEach(count) { hits[$0] += $0 + 1 }
                total += (0..<count).reduce(0) { $0 + hits[$1] }
            }
            totals[caller] = total
        }
        for caller in 0..<callers { XCTAssertEqual(totals[caller], loops * count * (count + 1) / 2) }
    }
}
