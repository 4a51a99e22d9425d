import AEPORollout
import AEPOCore
import Foundation

/// A line of a branch-event log: a `BranchEvent`, and the training step it belongs to when the log spans steps.
public struct LoggedBranchEvent: Decodable, Equatable, Sendable {
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

    public static func read(from url: URL) throws -> [LoggedBranchEvent] {
        try JSONLines.read(LoggedBranchEvent.self, from: url)
    }
}
