import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The most memory this process can have now: what it holds (`VmRSS` in `/proc/self/status`) plus what the system can
/// still give it — the smaller of `MemAvailable` in `/proc/meminfo` (free memory and the caches the kernel can drop) and
/// its cgroup's headroom, `limit − (usage − inactive_file)` (v2 `memory.max`, `memory.current`, `memory.stat`; v1
/// `memory.limit_in_bytes`, `memory.usage_in_bytes`, `total_inactive_file`) —, and at most its address-space limit
/// (`getrlimit(RLIMIT_AS)`, `ulimit -v`). Physical memory (`MemTotal`) is no bound when other processes hold part of it:
/// a run sized to it was killed by the OOM killer instead of refused. Without `/proc` (macOS), the physical memory.
public struct MemoryLimit: Equatable, Sendable, CustomStringConvertible {
    public var bytes: Int
    /// Where the limit comes from, as errors name it.
    public var source: String

    public init(bytes: Int, source: String) {
        self.bytes = bytes
        self.source = source
    }

    /// `16.0 GiB (MemAvailable in /proc/meminfo, plus the 1.2 GiB this process holds)`.
    public var description: String { "\(Self.text(Double(bytes))) (\(source))" }

    /// The text of a cgroup's memory files, `nil` where one cannot be read.
    struct CgroupFiles: Equatable {
        /// Its limit in bytes (`max` when none).
        var limit: String?
        /// The memory it uses now, page cache included.
        var usage: String?
        /// `memory.stat`, whose inactive file pages it can drop.
        var stat: String?
        /// The limit file's name (`memory.max`, `memory.limit_in_bytes`), as errors name it.
        var limitName: String
        /// The key of the inactive file pages in `stat`.
        var inactiveFileKey: String
    }

    /// The limit of this process now (read afresh at each use: memory other processes take or free changes it).
    public static var current: MemoryLimit {
        func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }
        // The cgroup of this process (`0::/path` for v2, `N:memory:/path` for v1), else the mount's root.
        let groups = read("/proc/self/cgroup")?.split(separator: "\n") ?? []
        let v2 = groups.first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) } ?? "/"
        let v1 = groups.first { $0.contains(":memory:") }.map { String($0.split(separator: ":", maxSplits: 2)[2]) } ?? "/"
        /// The cgroup's files in its own directory, else at the mount's root (a container sees its own group there).
        func files(_ mount: String, _ group: String, limit: String, usage: String, inactiveFileKey: String) -> CgroupFiles? {
            for directory in Set([mount + (group == "/" ? "" : group), mount]).sorted(by: { $0.count > $1.count }) {
                guard let limitText = read("\(directory)/\(limit)") else { continue }
                return CgroupFiles(limit: limitText, usage: read("\(directory)/\(usage)"), stat: read("\(directory)/memory.stat"),
                                   limitName: limit, inactiveFileKey: inactiveFileKey)
            }
            return nil
        }
        let cgroup = files("/sys/fs/cgroup", v2, limit: "memory.max", usage: "memory.current", inactiveFileKey: "inactive_file")
            ?? files("/sys/fs/cgroup/memory", v1, limit: "memory.limit_in_bytes", usage: "memory.usage_in_bytes",
                     inactiveFileKey: "total_inactive_file")
        var addressSpace: UInt64?
        #if canImport(Glibc)
        var limit = rlimit()
        // RLIM_INFINITY is all ones.
        if getrlimit(Int32(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max { addressSpace = UInt64(limit.rlim_cur) }
        #endif
        return available(meminfo: read("/proc/meminfo"), status: read("/proc/self/status"), cgroup: cgroup, addressSpace: addressSpace)
            ?? MemoryLimit(bytes: Int(clamping: ProcessInfo.processInfo.physicalMemory), source: "physical memory")
    }

    /// The limit the given sources state (see the type): the text of `/proc/meminfo`, of `/proc/self/status`, of the
    /// cgroup's memory files, and the `RLIMIT_AS` soft limit in bytes; `nil` when none states one. A kernel too old for
    /// `MemAvailable` (before 3.14) gives `MemTotal`.
    static func available(meminfo: String?, status: String?, cgroup: CgroupFiles?, addressSpace: UInt64?) -> MemoryLimit? {
        let resident = status.flatMap { kibibytes("VmRSS", in: $0) } ?? 0
        let held = " plus the \(text(Double(resident))) this process holds"
        var limits: [MemoryLimit] = []
        if let meminfo, let available = kibibytes("MemAvailable", in: meminfo) {
            limits.append(MemoryLimit(bytes: sum(resident, available), source: "MemAvailable in /proc/meminfo,\(held)"))
        } else if let meminfo, let total = kibibytes("MemTotal", in: meminfo) {
            limits.append(MemoryLimit(bytes: total, source: "physical memory, MemTotal in /proc/meminfo"))
        }
        if let cgroup, let limit = cgroup.limit.flatMap(number) {
            if let usage = cgroup.usage.flatMap(number) {
                let inactive = cgroup.stat.flatMap { value(cgroup.inactiveFileKey, in: $0) } ?? 0
                let headroom = max(0, limit - max(0, usage - inactive))
                limits.append(MemoryLimit(bytes: sum(resident, headroom), source: "the cgroup's \(cgroup.limitName) less its use,\(held)"))
            } else {
                limits.append(MemoryLimit(bytes: limit, source: "the cgroup's \(cgroup.limitName)"))
            }
        }
        if let addressSpace {
            limits.append(MemoryLimit(bytes: Int(clamping: addressSpace), source: "the address-space limit, ulimit -v"))
        }
        return limits.min { $0.bytes < $1.bytes }
    }

    /// The bytes of a `Key:   123 kB` line of `/proc/meminfo` or `/proc/self/status`.
    static func kibibytes(_ key: String, in text: String) -> Int? {
        guard let count = value(key + ":", in: text) else { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: 1024)
        return overflow ? Int.max : bytes
    }

    /// The number after `key` at the start of a line of `text` (`key value`, spaces or tabs between: `/proc/meminfo`,
    /// `/proc/self/status`, `memory.stat`).
    static func value(_ key: String, in text: String) -> Int? {
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count >= 2, fields[0] == key { return Int(fields[1]) }
        }
        return nil
    }

    /// A cgroup file's byte count; `nil` for `max` (no limit) or anything else that is not a number.
    static func number(_ text: String) -> Int? { Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) }

    /// `a + b`, `Int.max` when larger (a v1 cgroup without a limit states 2⁶³ − 4096).
    private static func sum(_ a: Int, _ b: Int) -> Int {
        let (total, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : total
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
