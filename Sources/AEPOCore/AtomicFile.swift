import Foundation

/// Writes files so that a reader (or a crash) never sees a half-written result:
/// the bytes go to a temporary file in the same directory, which is then renamed over the target.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try data.write(to: temporary)
            if rename(temporary.path, url.path) != 0 {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    public static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }

    /// Replaces the directory at `url` with one built by `build` in a temporary sibling directory.
    /// An existing directory is moved aside first and removed only after the new one is in place.
    public static func writeDirectory(at url: URL, _ build: (URL) throws -> Void) throws {
        let fm = FileManager.default
        let parent = url.deletingLastPathComponent()
        try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        let suffix = "\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
        let temporary = parent.appendingPathComponent(".\(url.lastPathComponent).tmp-\(suffix)")
        try fm.createDirectory(at: temporary, withIntermediateDirectories: true)
        do {
            try build(temporary)
        } catch {
            try? fm.removeItem(at: temporary)
            throw error
        }
        var old: URL?
        if fm.fileExists(atPath: url.path) {
            let aside = parent.appendingPathComponent(".\(url.lastPathComponent).old-\(suffix)")
            try fm.moveItem(at: url, to: aside)
            old = aside
        }
        try fm.moveItem(at: temporary, to: url)
        if let old { try? fm.removeItem(at: old) }
    }
}
