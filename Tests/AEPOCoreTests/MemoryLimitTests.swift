@testable import AEPOCore
import XCTest

/// The memory limit: what the process holds plus what `/proc/meminfo`, its cgroup's files and `RLIMIT_AS` say it can
/// still have, the smallest winning, named. Every figure comes from the fixtures below, none from this machine.
final class MemoryLimitTests: XCTestCase {
    /// A 24 GiB machine of which others hold all but 18 GiB.
    private let meminfo = """
        MemTotal:       25165824 kB
        MemFree:         2000000 kB
        MemAvailable:   18874368 kB
        Buffers:          123456 kB

        """
    /// `/proc/self/status` separates its fields with a tab and spaces.
    private let status = "Name:\taepo\nVmPeak:\t 9000000 kB\nVmRSS:\t  524288 kB\nThreads:\t3\n"
    private let gibibyte = 1 << 30

    private func cgroupV2(limit: String, usage: String? = "3221225472\n", inactiveFile: Int = 1 << 30) -> MemoryLimit.CgroupFiles {
        MemoryLimit.CgroupFiles(limit: limit, usage: usage, stat: "anon 2147483648\nfile 1610612736\ninactive_file \(inactiveFile)\n",
                                limitName: "memory.max", inactiveFileKey: "inactive_file")
    }

    func testProcAndCgroupFilesAreParsed() {
        XCTAssertEqual(MemoryLimit.kibibytes("MemAvailable", in: meminfo), 18 * gibibyte)
        XCTAssertEqual(MemoryLimit.kibibytes("MemTotal", in: meminfo), 24 * gibibyte)
        XCTAssertEqual(MemoryLimit.kibibytes("VmRSS", in: status), gibibyte / 2)
        XCTAssertNil(MemoryLimit.kibibytes("VmSwap", in: status))
        XCTAssertNil(MemoryLimit.kibibytes("MemAvail", in: meminfo), "a key is matched whole")
        XCTAssertEqual(MemoryLimit.value("total_inactive_file", in: "cache 10\ntotal_cache 30\ntotal_inactive_file 20\n"), 20)
        XCTAssertEqual(MemoryLimit.number("1073741824\n"), gibibyte)
        XCTAssertNil(MemoryLimit.number("max\n"))
        XCTAssertNil(MemoryLimit.number(""))
    }

    /// What is available, not the physical memory: a need of 20 GiB fits the 24 GiB machine but not the 18.5 GiB this
    /// process can have while others hold the rest, so it is refused (or recomputes) instead of meeting the OOM killer.
    func testTheLimitIsWhatTheProcessHoldsPlusWhatIsAvailable() {
        let limit = MemoryLimit.available(meminfo: meminfo, status: status, cgroup: nil, addressSpace: nil)
        XCTAssertEqual(limit, MemoryLimit(bytes: 18 * gibibyte + gibibyte / 2,
                                          source: "MemAvailable in /proc/meminfo, plus the 512.0 MiB this process holds"))
        XCTAssertLessThan(limit!.bytes, 20 * gibibyte)
        XCTAssertEqual(MemoryLimit.available(meminfo: meminfo, status: nil, cgroup: nil, addressSpace: nil)?.bytes, 18 * gibibyte)
        // A kernel without MemAvailable (before 3.14): the physical memory.
        XCTAssertEqual(MemoryLimit.available(meminfo: "MemTotal: 1000 kB\nMemFree: 10 kB\n", status: status, cgroup: nil, addressSpace: nil),
                       MemoryLimit(bytes: 1_024_000, source: "physical memory, MemTotal in /proc/meminfo"))
        XCTAssertNil(MemoryLimit.available(meminfo: "garbage", status: "garbage", cgroup: nil, addressSpace: nil))
    }

    /// A cgroup's headroom is its limit less the memory it uses, less the inactive file pages it can drop.
    func testTheCgroupsHeadroomWinsWhenSmaller() {
        // 4 GiB − (3 GiB − 1 GiB inactive) = 2 GiB, plus the 0.5 GiB held.
        XCTAssertEqual(MemoryLimit.available(meminfo: meminfo, status: status, cgroup: cgroupV2(limit: "4294967296\n"), addressSpace: nil),
                       MemoryLimit(bytes: 2 * gibibyte + gibibyte / 2,
                                   source: "the cgroup's memory.max less its use, plus the 512.0 MiB this process holds"))
        // A group over its limit (page cache it has yet to drop) has no headroom, not a negative one.
        XCTAssertEqual(MemoryLimit.available(meminfo: meminfo, status: status, cgroup: cgroupV2(limit: "1073741824", inactiveFile: 0),
                                             addressSpace: nil)?.bytes, gibibyte / 2)
        // No usage file: the limit itself.
        XCTAssertEqual(MemoryLimit.available(meminfo: meminfo, status: status, cgroup: cgroupV2(limit: "4294967296", usage: nil),
                                             addressSpace: nil),
                       MemoryLimit(bytes: 4 * gibibyte, source: "the cgroup's memory.max"))
        // `max`, or v1's "no limit" (2⁶³ − 4096, which must not overflow): the machine's figure.
        let v1 = MemoryLimit.CgroupFiles(limit: "9223372036854771712\n", usage: "5754261504\n", stat: "total_inactive_file 0\n",
                                         limitName: "memory.limit_in_bytes", inactiveFileKey: "total_inactive_file")
        for cgroup in [cgroupV2(limit: "max\n"), v1] {
            XCTAssertEqual(MemoryLimit.available(meminfo: meminfo, status: status, cgroup: cgroup, addressSpace: nil)?.bytes,
                           18 * gibibyte + gibibyte / 2)
        }
        XCTAssertEqual(MemoryLimit.available(meminfo: meminfo, status: status, cgroup: cgroupV2(limit: "max"), addressSpace: 1 << 31),
                       MemoryLimit(bytes: 1 << 31, source: "the address-space limit, ulimit -v"))
    }

    func testByteCountsReadForPeople() {
        XCTAssertEqual(MemoryLimit.text(512), "512 B")
        XCTAssertEqual(MemoryLimit.text(1536), "1.5 KiB")
        XCTAssertEqual(MemoryLimit.text(3 * 0x1p40), "3.0 TiB")
        XCTAssertEqual("\(MemoryLimit(bytes: 1 << 30, source: "the cgroup's memory.max"))", "1.0 GiB (the cgroup's memory.max)")
    }

    /// A request beyond the limit, or one whose size overflows, is an error naming its purpose, not a trap.
    func testLargeAllocationRefusesWhatTheProcessCannotHave() throws {
        XCTAssertThrowsError(try LargeAllocation.floats(1 << 60, for: "a test buffer")) { error in
            XCTAssertEqual((error as? OutOfMemoryError)?.purpose, "a test buffer")
            XCTAssertEqual((error as? OutOfMemoryError)?.bytes, 0x1p62)
            XCTAssertNotNil((error as? OutOfMemoryError)?.limit)
            XCTAssertTrue("\(error)".hasPrefix("out of memory: 4.0 EiB for a test buffer exceed the "), "\(error)")
            XCTAssertTrue("\(error)".hasSuffix(") this process can have"), "\(error)")
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
