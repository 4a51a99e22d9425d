import Foundation

/// How busy the machine is, so that `aepo bench` can flag wall-clock figures taken on a shared host.
enum SystemLoad {
    /// The one-minute load average from `/proc/loadavg`; nil where that file does not exist.
    static func oneMinuteAverage() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.flatMap { Double($0) }
    }

    /// A warning when the load average exceeds the number of processors (other work competes for
    /// the cores), nil otherwise.
    static func warning() -> String? {
        let processors = ProcessInfo.processInfo.activeProcessorCount
        guard let load = oneMinuteAverage(), load > Double(processors) + 0.5 else { return nil }
        return "machine busy: load average \(load) on \(processors) processors, so wall-clock figures are "
            + "depressed and noisy (the *_cputime figures are not); rerun on an idle machine"
    }
}
