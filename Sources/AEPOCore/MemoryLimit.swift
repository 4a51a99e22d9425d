import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The most memory this process can have: the smallest of the physical memory (`MemTotal` in `/proc/meminfo`),
/// the limit of its cgroup (v2 `memory.max`, v1 `memory.limit_in_bytes`) and its address-space limit
/// (`getrlimit(RLIMIT_AS)`, `ulimit -v`). A need above it cannot be met; a need below it can still fail while
/// other processes hold the memory.
public struct MemoryLimit: Equatable, Sendable, CustomStringConvertible {
    public var bytes: Int
    /// Where the limit comes from, as errors name it.
    public var source: String

    public init(bytes: Int, source: String) {
        self.bytes = bytes
        self.source = source
    }

    /// `16.0 GiB (physical memory, MemTotal in /proc/meminfo)`.
    public var description: String { "\(Self.text(Double(bytes))) (\(source))" }

    /// The limit of this process, read once.
    public static let current: MemoryLimit = {
        func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }
        // The cgroup of this process (`0::/path` for v2, `N:memory:/path` for v1), else the mount's root.
        let groups = read("/proc/self/cgroup")?.split(separator: "\n") ?? []
        func group(_ prefix: String) -> String {
            groups.first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) } ?? "/"
        }
        let v2 = group("0::"), v1 = groups.first { $0.contains(":memory:") }.map { String($0.split(separator: ":", maxSplits: 2)[2]) } ?? "/"
        var addressSpace: UInt64?
        #if canImport(Glibc)
        var limit = rlimit()
        // RLIM_INFINITY is all ones.
        if getrlimit(Int32(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max { addressSpace = UInt64(limit.rlim_cur) }
        #endif
        return smallest(meminfo: read("/proc/meminfo"),
                        cgroupV2: read("/sys/fs/cgroup\(v2 == "/" ? "" : v2)/memory.max") ?? read("/sys/fs/cgroup/memory.max"),
                        cgroupV1: read("/sys/fs/cgroup/memory\(v1 == "/" ? "" : v1)/memory.limit_in_bytes")
                            ?? read("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
                        addressSpace: addressSpace)
            ?? MemoryLimit(bytes: Int(clamping: ProcessInfo.processInfo.physicalMemory), source: "physical memory")
    }()

    /// The smallest limit the given sources state: the text of `/proc/meminfo`, of a cgroup v2 `memory.max`
    /// (`max`: none), of a cgroup v1 `memory.limit_in_bytes`, and the `RLIMIT_AS` soft limit in bytes; nil when none does.
    static func smallest(meminfo: String?, cgroupV2: String?, cgroupV1: String?, addressSpace: UInt64?) -> MemoryLimit? {
        var limits: [MemoryLimit] = []
        if let line = meminfo?.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }),
           let kibibytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
            limits.append(MemoryLimit(bytes: kibibytes.multipliedReportingOverflow(by: 1024).partialValue,
                                      source: "physical memory, MemTotal in /proc/meminfo"))
        }
        if let bytes = cgroupV2.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) {
            limits.append(MemoryLimit(bytes: bytes, source: "the cgroup's memory.max"))
        }
        if let bytes = cgroupV1.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) {
            limits.append(MemoryLimit(bytes: bytes, source: "the cgroup's memory.limit_in_bytes"))
        }
        if let addressSpace {
            limits.append(MemoryLimit(bytes: Int(clamping: addressSpace), source: "the address-space limit, ulimit -v"))
        }
        return limits.min { $0.bytes < $1.bytes }
    }

    /// A byte count for people: `512 B`, `3.2 MiB`, `1.5 TiB`.
    public static func text(_ bytes: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = bytes, unit = 0
        while value >= 1024, unit + 1 < units.count {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(Int(value)) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}
