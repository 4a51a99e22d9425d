import AEPOCore
import Foundation

/// A JSON Lines log that a training run appends to step by step and a resumed run continues: opening it keeps
/// only the lines `keep` accepts (the steps up to the resumed one), so the file never repeats a step.
public final class StepLogFile {
    public let url: URL

    /// Opens `url` (created when missing), keeping the lines whose JSON object `keep` accepts and every line that
    /// is not a JSON object.
    public init(url: URL, keeping keep: ([String: JSONValue]) -> Bool) throws {
        self.url = url
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            try AtomicFile.write(Data(), to: url)
            return
        }
        let kept = text.split(separator: "\n").filter { line in
            guard let object = try? JSONValue.parse(Data(line.utf8)).objectValue else { return true }
            return keep(object)
        }
        try AtomicFile.write(kept.map { $0 + "\n" }.joined(), to: url)
    }

    /// Opens `url` keeping the lines whose `"step"` is at most `resumedStep`.
    public convenience init(url: URL, resumedStep: Int) throws {
        try self.init(url: url) { ($0["step"]?.intValue ?? 0) <= resumedStep }
    }

    /// Appends `lines`, each one JSON text without a newline.
    public func append(lines: [String]) throws {
        guard !lines.isEmpty else { return }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(lines.map { $0 + "\n" }.joined().utf8))
    }

    /// Appends `values` one per line, keys sorted.
    public func append<T: Encodable>(_ values: [T]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try append(lines: try values.map { String(decoding: try encoder.encode($0), as: UTF8.self) })
    }
}
