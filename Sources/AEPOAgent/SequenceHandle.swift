/// An open sequence of a `SamplingBackend` (a prompt and everything appended or generated after it).
public struct SequenceHandle: Hashable, Sendable {
    public let rawValue: Int

    public init(rawValue: Int) {
        self.rawValue = rawValue
    }
}
