import AEPOModel
import Foundation

/// The benchmark's model configuration, `bench/reference-config.json`: read from the current
/// directory when run from the repository root, else from the source checkout this binary was built from.
enum ReferenceConfiguration {
    static let relativePath = "bench/reference-config.json"

    static func load() throws -> Qwen3Config {
        let local = URL(fileURLWithPath: relativePath)
        if FileManager.default.fileExists(atPath: local.path) { return try Qwen3Config.load(from: local) }
        let repository = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // AEPOCommands
            .deletingLastPathComponent()  // Sources
            .deletingLastPathComponent()
        return try Qwen3Config.load(from: repository.appendingPathComponent(relativePath))
    }
}
