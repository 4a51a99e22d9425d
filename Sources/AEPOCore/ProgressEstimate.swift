import Foundation

/// How far a loop of `total` steps is and how long the rest will take: the mean seconds per step over the last
/// `window` records (over every record until there are that many), times the steps left.
///
/// A loop that starts part-way (a resumed run) counts only the steps it does itself; a record without progress
/// leaves the estimate as it is (its time counts towards the next step done).
public struct ProgressEstimate: Equatable, Sendable {
    public let total: Int
    public private(set) var done: Int
    /// Records the mean is taken over.
    public let window: Int
    /// The start and the records since, oldest first, at most `window + 1`: steps done and the clock then.
    private var samples: [Sample]

    private struct Sample: Equatable, Sendable {
        var done: Int
        var time: Double
    }

    /// A loop of `total` steps that has `done` of them at `time` (seconds on `clock`).
    public init(total: Int, done: Int = 0, at time: Double = ProgressEstimate.clock, window: Int = 10) {
        precondition(window >= 1, "a window of at least one record")
        self.total = total
        self.done = done
        self.window = window
        samples = [Sample(done: done, time: time)]
    }

    /// Monotonic seconds (since boot) for the records.
    public static var clock: Double { ProcessInfo.processInfo.systemUptime }

    /// Notes that `done` steps are done at `time`.
    public mutating func record(done: Int, at time: Double = ProgressEstimate.clock) {
        guard done > self.done else { return }
        self.done = done
        samples.append(Sample(done: done, time: time))
        if samples.count > window + 1 { samples.removeFirst(samples.count - window - 1) }
    }

    /// Mean seconds per step over the window; `nil` before the first step.
    public var secondsPerStep: Double? {
        guard let first = samples.first, let last = samples.last, last.done > first.done else { return nil }
        return (last.time - first.time) / Double(last.done - first.done)
    }

    /// The estimated seconds until `total`; `nil` before the first step.
    public var secondsLeft: Double? {
        secondsPerStep.map { $0 * Double(max(total - done, 0)) }
    }

    /// `12/300  1.2 s/step  5m 54s left` (`12/300` alone before the first step); `unit` names a step.
    public func summary(unit: String = "step") -> String {
        guard let perStep = secondsPerStep, let left = secondsLeft else { return "\(done)/\(total)" }
        let format = perStep >= 10 ? "%.0f" : perStep >= 1 ? "%.1f" : "%.2f"
        return "\(done)/\(total)  \(String(format: format, perStep)) s/\(unit)  \(Self.duration(left)) left"
    }

    /// `42s`, `5m 54s`, `2h 05m`: a duration rounded to the second, in its two largest units.
    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m \(String(format: "%02d", s % 60))s" }
        return "\(s / 3600)h \(String(format: "%02d", s / 60 % 60))m"
    }
}
