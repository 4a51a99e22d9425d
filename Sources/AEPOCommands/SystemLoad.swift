import Foundation

/// How busy the machine is, so that `aepo bench` can flag wall-clock figures taken on a shared host.
enum SystemLoad {
    /// The one-minute load average from `/proc/loadavg`; nil where that file does not exist.
    static func oneMinuteAverage() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.flatMap { Double($0) }
    }

    /// A warning when the load average exceeds the number of processors (other work competes for
    /// the cores), nil otherwise; it points to the `*_cputime` figures when the report has them.
    static func warning(reportsCPUTime: Bool, load: Double? = oneMinuteAverage(),
                        processors: Int = ProcessInfo.processInfo.activeProcessorCount) -> String? {
        guard let load, load > Double(processors) + 0.5 else { return nil }
        return "machine busy: load average \(load) on \(processors) processors, so wall-clock figures are "
            + "depressed and noisy\(reportsCPUTime ? " (the *_cputime figures are not)" : ""); rerun on an idle machine"
    }
}
