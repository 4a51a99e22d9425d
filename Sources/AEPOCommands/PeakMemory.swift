import Foundation

/// The process's peak resident memory.
enum PeakMemory {
    /// `VmHWM` from `/proc/self/status`, in MB (rounded to 0.1); 0 where that file does not exist.
    static func residentMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        return residentMegabytes(status: status)
    }

    /// `VmHWM` in MB from the text of a `/proc/PID/status`: `VmHWM:\t  12345 kB`, or `VmHWM:\t12345678 kB` from 10 GB
    /// on (no space after the tab).
    static func residentMegabytes(status: String) -> Double {
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kilobytes = line.split(whereSeparator: \.isWhitespace).dropFirst().first.flatMap { Double($0) } ?? 0
            return (kilobytes / 1024 * 10).rounded() / 10
        }
        return 0
    }

    /// Lowers the peak to the current resident memory (Linux: `5` written to `/proc/self/clear_refs`), so that
    /// `residentMegabytes()` measures what follows; false where the kernel does not allow it.
    static func reset() -> Bool {
        guard let file = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? file.close() }
        return (try? file.write(contentsOf: Data("5".utf8))) != nil
    }
}
