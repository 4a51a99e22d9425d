import Foundation

/// Collects the warnings a fleet writes (from any thread).
public final class WarningLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    public init() {}

    public func add(_ line: String) { lock.withLock { lines.append(line) } }

    public var all: [String] { lock.withLock { lines } }
}
