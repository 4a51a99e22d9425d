import Foundation

/// Writes files so that a reader (or a crash) never sees a half-written result:
/// the bytes go to a temporary file in the same directory, which is then renamed over the target.
///
/// Temporaries are named `.<target>.tmp-<pid>-<n>` (being built, or being removed) and `.<target>.old-<pid>-<n>` (a
/// directory moved aside while its replacement is renamed into place); `removeStaleTemporaries` clears those of
/// processes that no longer run.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { try $0.write(contentsOf: data) }
    }

    /// Writes the file at `url` from `body`, which writes its bytes to the handle of the temporary file piece by piece:
    /// for contents too large to gather in memory first.
    public static func write(to url: URL, _ body: (FileHandle) throws -> Void) throws {
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temporary = sibling(of: url, kind: temporaryKind)
        do {
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary.path])
            }
            let handle = try FileHandle(forWritingTo: temporary)
            do {
                try body(handle)
                try handle.close()
            } catch {
                try? handle.close()
                throw error
            }
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
        try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = sibling(of: url, kind: temporaryKind)
        try fm.createDirectory(at: temporary, withIntermediateDirectories: true)
        do {
            try build(temporary)
        } catch {
            try? fm.removeItem(at: temporary)
            throw error
        }
        var old: URL?
        if fm.fileExists(atPath: url.path) {
            let aside = sibling(of: url, kind: asideKind)
            try fm.moveItem(at: url, to: aside)
            old = aside
        }
        try fm.moveItem(at: temporary, to: url)
        if let old { try? fm.removeItem(at: old) }
    }

    /// Removes a file or directory by renaming it to a temporary first: a kill leaves either the whole item or a
    /// temporary that `removeStaleTemporaries` clears, never a half-deleted item under its own name.
    public static func remove(_ url: URL) throws {
        let temporary = sibling(of: url, kind: temporaryKind)
        try FileManager.default.moveItem(at: url, to: temporary)
        try FileManager.default.removeItem(at: temporary)
    }

    /// Clears what killed processes left in `directory`: their temporaries are removed, and a directory they had
    /// moved aside comes back when its replacement never arrived (else it is removed). Temporaries of running
    /// processes are kept. Returns the names of the temporaries cleared.
    @discardableResult
    public static func removeStaleTemporaries(in directory: URL) -> [String] {
        let fm = FileManager.default
        let names = (try? fm.contentsOfDirectory(atPath: directory.path)) ?? []
        var cleared: [String] = []
        for name in names.sorted() {
            guard let (target, kind, pid) = parse(name), !isRunning(pid) else { continue }
            let url = directory.appendingPathComponent(name)
            let original = directory.appendingPathComponent(target)
            if kind == asideKind, !fm.fileExists(atPath: original.path) {
                guard (try? fm.moveItem(at: url, to: original)) != nil else { continue }
            } else {
                guard (try? fm.removeItem(at: url)) != nil else { continue }
            }
            cleared.append(name)
        }
        return cleared
    }

    private static let temporaryKind = "tmp"
    private static let asideKind = "old"

    /// `.<name>.<kind>-<pid>-<n>` next to `url`.
    private static func sibling(of url: URL, kind: String) -> URL {
        let suffix = "\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(kind)-\(suffix)")
    }

    /// The target, kind and process id of a temporary's name; `nil` for any other name.
    private static func parse(_ name: String) -> (target: String, kind: String, pid: Int32)? {
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard name.hasPrefix("."), parts.count >= 3, UInt32(parts[parts.count - 1]) != nil,
              let pid = Int32(parts[parts.count - 2]), pid > 0 else { return nil }
        let head = parts.dropLast(2).joined(separator: "-").dropFirst()
        for kind in [temporaryKind, asideKind] where head.hasSuffix("." + kind) {
            let target = String(head.dropLast(kind.count + 1))
            return target.isEmpty ? nil : (target, kind, pid)
        }
        return nil
    }

    /// Whether process `pid` exists (one of another user counts).
    private static func isRunning(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
