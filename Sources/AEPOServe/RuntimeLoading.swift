import AEPOCore
import Foundation

/// What `aepo serve` may load while it runs: LoRA adapters (`--enable-lora`, vLLM's `/v1/load_lora_adapter`) and whole
/// weights (SGLang's `/update_weights_from_disk`), both only from under one directory given at start-up (`--lora-dir`).
public struct RuntimeLoading: Sendable {
    /// The allowed directory, its symbolic links resolved.
    public let directory: URL
    /// Whether the adapter endpoints are served.
    public let adapters: Bool

    /// The policy for `directory` (an existing directory; an `InputError` naming `--lora-dir` otherwise).
    public init(directory path: String, adapters: Bool) throws {
        guard let resolved = Self.realPath(path), (try? URL(fileURLWithPath: resolved).resourceValues(forKeys: [.isDirectoryKey]))?.isDirectory == true else {
            throw InputError("expected an existing directory, got '\(path)'", source: "--lora-dir")
        }
        directory = URL(fileURLWithPath: resolved)
        self.adapters = adapters
    }

    /// `path` (relative paths start at `directory`) with every symbolic link and `..` resolved; a 400 `OpenAIError`
    /// naming `param` when nothing is there, a 403 when it lies outside `directory`.
    func resolve(_ path: String, param: String) throws -> URL {
        let candidate = path.hasPrefix("/") ? path : directory.appendingPathComponent(path).path
        guard let resolved = Self.realPath(candidate) else {
            throw OpenAIError.invalid(param, "'\(path)' does not exist on this server")
        }
        let root = directory.path
        guard resolved == root || resolved.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
            throw OpenAIError(.forbidden, "'\(path)' resolves to '\(resolved)', outside the directory this server loads from ('\(root)', --lora-dir)",
                              param: param, code: "path_not_allowed")
        }
        return URL(fileURLWithPath: resolved)
    }

    /// The canonical absolute path of an existing file or directory (`realpath(3)`), or nil.
    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
