import AEPOCore
import Foundation

/// A line of a branch-event log: a `BranchEvent`'s fields, plus `"step"` (the training step) when the log spans
/// steps, as the trainer's `branch_events.jsonl` does (`aepo rollout --events` writes plain events).
public struct LoggedBranchEvent: Codable, Equatable, Sendable {
    public var step: Int?
    public var event: BranchEvent

    public init(step: Int?, event: BranchEvent) {
        self.step = step
        self.event = event
    }

    enum CodingKeys: String, CodingKey { case step }

    public init(from decoder: Decoder) throws {
        step = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(Int.self, forKey: .step)
        event = try BranchEvent(from: decoder)
    }

    public func encode(to encoder: Encoder) throws {
        try event.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(step, forKey: .step)
    }

    public static func read(from url: URL) throws -> [LoggedBranchEvent] {
        try JSONLines.read(LoggedBranchEvent.self, from: url)
    }
}
