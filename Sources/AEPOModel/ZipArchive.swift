import AEPOCore
import Foundation

/// The entries of a ZIP archive, located in place in its bytes (nothing is extracted or copied): the central directory
/// is found through the end-of-central-directory record, ZIP64's when present (PyTorch always writes it) with ZIP64
/// extra fields for sizes and offsets beyond 32 bits, and each entry's data follows its local header. Only stored
/// (uncompressed) entries can be read, which is how `torch.save` writes them; a compressed or encrypted entry is an
/// error naming it. Errors name the archive (`source`).
struct ZipArchive {
    /// One entry: how it is stored and where its stored bytes are in the archive.
    struct Entry {
        /// The compression method (0: stored).
        var method: UInt16
        var isEncrypted: Bool
        var data: Range<Int>
    }

    let source: String
    /// Every entry, by name.
    let entries: [String: Entry]

    /// Reads the directory of the archive in `bytes`.
    init(_ bytes: UnsafeRawBufferPointer, source: String) throws {
        let reader = Reader(bytes: bytes, source: source)
        let end = try reader.endOfCentralDirectory()
        var entries: [String: Entry] = [:]
        var offset = end.directoryOffset
        for _ in 0..<end.entryCount {
            let (name, entry, next) = try reader.centralDirectoryEntry(at: offset)
            guard entries.updateValue(entry, forKey: name) == nil else {
                throw InputError("the ZIP archive lists the entry '\(name)' twice", source: source)
            }
            offset = next
        }
        self.source = source
        self.entries = entries
    }

    /// The byte range of the stored entry `name`, or nil when the archive has no such entry.
    func storedData(_ name: String) throws -> Range<Int>? {
        guard let entry = entries[name] else { return nil }
        guard !entry.isEncrypted else { throw InputError("the ZIP entry '\(name)' is encrypted, which is not supported", source: source) }
        guard entry.method == 0 else {
            throw InputError("the ZIP entry '\(name)' is compressed (method \(entry.method)\(entry.method == 8 ? ", deflate" : "")); "
                             + "only stored entries are supported, as torch.save writes them", source: source)
        }
        return entry.data
    }

    /// Bounds-checked little-endian reads of the archive's records.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        let source: String

        static let localHeader: UInt32 = 0x0403_4B50
        static let centralHeader: UInt32 = 0x0201_4B50
        static let end: UInt32 = 0x0605_4B50
        static let zip64End: UInt32 = 0x0606_4B50
        static let zip64Locator: UInt32 = 0x0706_4B50

        func integer<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type, at offset: Int, in record: String) throws -> T {
            guard offset >= 0, offset <= bytes.count - MemoryLayout<T>.size else {
                throw InputError("the ZIP archive's \(record) runs past the end of the file (\(bytes.count) bytes): truncated or not a ZIP archive",
                                 source: source)
            }
            return T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        }

        /// A 64-bit size or offset as an `Int` no larger than the file.
        func position(_ value: UInt64, _ what: String) throws -> Int {
            guard value <= UInt64(bytes.count) else {
                throw InputError("the ZIP archive's \(what) \(value) is beyond the end of the file (\(bytes.count) bytes): truncated or corrupt",
                                 source: source)
            }
            return Int(value)
        }

        /// The number of entries and where the central directory starts, from the last end record whose comment ends
        /// the file, or from the ZIP64 end record its locator points to.
        func endOfCentralDirectory() throws -> (entryCount: Int, directoryOffset: Int) {
            let lowest = max(0, bytes.count - 22 - 0xFFFF)
            var candidate = bytes.count - 22
            while candidate >= lowest {
                if try integer(UInt32.self, at: candidate, in: "end record") == Self.end,
                   try candidate + 22 + Int(integer(UInt16.self, at: candidate + 20, in: "end record")) == bytes.count {
                    break
                }
                candidate -= 1
            }
            guard candidate >= lowest else {
                throw InputError(bytes.count < 22 ? "the file is \(bytes.count) bytes, too short for a ZIP archive"
                                 : "no ZIP end-of-central-directory record: the file is truncated or not a ZIP archive", source: source)
            }
            let disks = (try integer(UInt16.self, at: candidate + 4, in: "end record"), try integer(UInt16.self, at: candidate + 6, in: "end record"))
            var count = UInt64(try integer(UInt16.self, at: candidate + 10, in: "end record"))
            var offset = UInt64(try integer(UInt32.self, at: candidate + 16, in: "end record"))
            if candidate >= 20, try integer(UInt32.self, at: candidate - 20, in: "ZIP64 locator") == Self.zip64Locator {
                let record = try position(try integer(UInt64.self, at: candidate - 12, in: "ZIP64 locator"), "ZIP64 end record offset")
                guard try integer(UInt32.self, at: record, in: "ZIP64 end record") == Self.zip64End else {
                    throw InputError("the ZIP64 end-of-central-directory record is not where its locator says (byte \(record))", source: source)
                }
                count = try integer(UInt64.self, at: record + 32, in: "ZIP64 end record")
                offset = try integer(UInt64.self, at: record + 48, in: "ZIP64 end record")
            } else if disks != (0, 0) {
                throw InputError("the ZIP archive spans several disks, which is not supported", source: source)
            }
            // Each central directory entry takes at least 46 bytes.
            guard count <= UInt64(bytes.count / 46) else {
                throw InputError("the ZIP archive claims \(count) entries, more than its \(bytes.count) bytes hold", source: source)
            }
            return (Int(count), try position(offset, "central directory offset"))
        }

        /// The central directory entry at `offset`: its name, its entry (data located through its local header), and
        /// where the next entry starts.
        func centralDirectoryEntry(at offset: Int) throws -> (name: String, entry: Entry, next: Int) {
            let record = "central directory"
            guard try integer(UInt32.self, at: offset, in: record) == Self.centralHeader else {
                throw InputError("no ZIP central directory entry at byte \(offset): the archive is corrupt", source: source)
            }
            let flags = try integer(UInt16.self, at: offset + 8, in: record)
            let method = try integer(UInt16.self, at: offset + 10, in: record)
            var size = UInt64(try integer(UInt32.self, at: offset + 20, in: record))
            let nameLength = Int(try integer(UInt16.self, at: offset + 28, in: record))
            let extraLength = Int(try integer(UInt16.self, at: offset + 30, in: record))
            let commentLength = Int(try integer(UInt16.self, at: offset + 32, in: record))
            var localOffset = UInt64(try integer(UInt32.self, at: offset + 42, in: record))
            let name = try self.name(at: offset + 46, length: nameLength, in: record)

            // ZIP64 extra field (id 1): the uncompressed size, compressed size and local header offset, each present
            // only when its 32-bit field is 0xFFFFFFFF.
            let uncompressedSaturated = try integer(UInt32.self, at: offset + 24, in: record) == .max
            var field = offset + 46 + nameLength
            let extraEnd = field + extraLength
            while field + 4 <= extraEnd {
                let id = try integer(UInt16.self, at: field, in: record), length = Int(try integer(UInt16.self, at: field + 2, in: record))
                if id == 1 {
                    var value = field + 4
                    func next() throws -> UInt64 {
                        guard value + 8 <= field + 4 + length else {
                            throw InputError("the ZIP64 extra field of '\(name)' is too short", source: source)
                        }
                        defer { value += 8 }
                        return try integer(UInt64.self, at: value, in: record)
                    }
                    if uncompressedSaturated { _ = try next() }
                    if size == UInt32.max { size = try next() }
                    if localOffset == UInt32.max { localOffset = try next() }
                }
                field += 4 + length
            }

            let local = try position(localOffset, "local header offset of '\(name)'")
            guard try integer(UInt32.self, at: local, in: "local header") == Self.localHeader else {
                throw InputError("no ZIP local header for '\(name)' at byte \(local): the archive is corrupt", source: source)
            }
            let localNameLength = Int(try integer(UInt16.self, at: local + 26, in: "local header"))
            let localExtraLength = Int(try integer(UInt16.self, at: local + 28, in: "local header"))
            guard try self.name(at: local + 30, length: localNameLength, in: "local header") == name else {
                throw InputError("the ZIP local header at byte \(local) does not name '\(name)': the archive is corrupt", source: source)
            }
            let start = local + 30 + localNameLength + localExtraLength
            let byteCount = try position(size, "size of '\(name)'")
            guard start <= bytes.count - byteCount else {
                throw InputError("the ZIP entry '\(name)' (\(byteCount) bytes from byte \(start)) runs past the end of the file "
                                 + "(\(bytes.count) bytes): truncated", source: source)
            }
            let entry = Entry(method: method, isEncrypted: flags & 1 == 1, data: start..<start + byteCount)
            return (name, entry, extraEnd + commentLength)
        }

        func name(at offset: Int, length: Int, in record: String) throws -> String {
            guard offset >= 0, offset <= bytes.count - length else {
                throw InputError("the ZIP archive's \(record) runs past the end of the file (\(bytes.count) bytes): truncated", source: source)
            }
            guard let name = String(validating: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length]), as: UTF8.self) else {
                throw InputError("the ZIP archive's \(record) at byte \(offset) holds a name that is not UTF-8", source: source)
            }
            return name
        }
    }
}
