@testable import AEPOCore
import XCTest

/// The memory limit read from `/proc/meminfo`, cgroup v2 and v1 files and `RLIMIT_AS`: the smallest wins, named.
final class MemoryLimitTests: XCTestCase {
    private let meminfo = "MemTotal:       16384000 kB\nMemFree:         1000000 kB\nMemAvailable:    8000000 kB\n"

    func testTheSmallestStatedLimitWinsAndIsNamed() {
        let physical = MemoryLimit.smallest(meminfo: meminfo, cgroupV2: "max\n", cgroupV1: "9223372036854771712\n", addressSpace: nil)
        XCTAssertEqual(physical, MemoryLimit(bytes: 16_384_000 * 1024, source: "physical memory, MemTotal in /proc/meminfo"))
        XCTAssertEqual(MemoryLimit.smallest(meminfo: meminfo, cgroupV2: "1073741824\n", cgroupV1: nil, addressSpace: nil),
                       MemoryLimit(bytes: 1 << 30, source: "the cgroup's memory.max"))
        XCTAssertEqual(MemoryLimit.smallest(meminfo: meminfo, cgroupV2: nil, cgroupV1: "536870912", addressSpace: 1 << 31),
                       MemoryLimit(bytes: 1 << 29, source: "the cgroup's memory.limit_in_bytes"))
        XCTAssertEqual(MemoryLimit.smallest(meminfo: meminfo, cgroupV2: "max", cgroupV1: nil, addressSpace: 1 << 31),
                       MemoryLimit(bytes: 1 << 31, source: "the address-space limit, ulimit -v"))
        XCTAssertNil(MemoryLimit.smallest(meminfo: "garbage", cgroupV2: "max", cgroupV1: nil, addressSpace: nil))
        XCTAssertGreaterThan(MemoryLimit.current.bytes, 1 << 20)
    }

    func testByteCountsReadForPeople() {
        XCTAssertEqual(MemoryLimit.text(512), "512 B")
        XCTAssertEqual(MemoryLimit.text(1536), "1.5 KiB")
        XCTAssertEqual(MemoryLimit.text(3 * 0x1p40), "3.0 TiB")
        XCTAssertEqual("\(MemoryLimit(bytes: 1 << 30, source: "the cgroup's memory.max"))", "1.0 GiB (the cgroup's memory.max)")
    }

    /// A request beyond the limit, or one whose size overflows, is an error naming its purpose, not a trap.
    func testLargeAllocationRefusesWhatTheProcessCannotHave() throws {
        let limit = MemoryLimit.current
        XCTAssertThrowsError(try LargeAllocation.floats(limit.bytes / 4 + 1, for: "a test buffer")) { error in
            XCTAssertEqual(error as? OutOfMemoryError,
                           OutOfMemoryError(purpose: "a test buffer", bytes: Double(limit.bytes / 4 + 1) * 4, limit: limit))
            XCTAssertTrue("\(error)".hasPrefix("out of memory: "), "\(error)")
            XCTAssertTrue("\(error)".contains("for a test buffer exceed the \(limit) this process can have"), "\(error)")
        }
        XCTAssertThrowsError(try LargeAllocation.floats(Int.max / 2, for: "an overflowing buffer")) { error in
            XCTAssertEqual((error as? OutOfMemoryError)?.purpose, "an overflowing buffer")
        }
        let buffer = try LargeAllocation.floats(1000, for: "a small buffer", alignment: 4096)
        defer { LargeAllocation.release(buffer.baseAddress) }
        XCTAssertEqual(Int(bitPattern: buffer.baseAddress) % 4096, 0)
        XCTAssertTrue(buffer.allSatisfy { $0 == 0 })
    }
}
