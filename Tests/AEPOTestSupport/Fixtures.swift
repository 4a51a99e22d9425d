import Foundation

/// Reference data committed under `Tests/Fixtures/` (copied from real libraries' outputs).
public enum Fixtures {
    /// The repository's `Tests/Fixtures` directory.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // AEPOTestSupport
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Fixtures")

    /// A file or directory under `Tests/Fixtures`, e.g. `Fixtures.url("qwen3-tiny-a/config.json")`.
    public static func url(_ relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }

    /// A fresh empty temporary directory, removed by the caller (or left for the OS).
    public static func temporaryDirectory(_ label: String = "aepo-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
