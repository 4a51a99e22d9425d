import Foundation

@testable import AEPOModel

/// A ZIP archive written byte by byte (independently of `ZipArchive`), for crafting PyTorch files, including ones with
/// ZIP64 extra fields, a compression method aepo refuses, or a pickle it must refuse. CRCs are written as 0 (not read).
struct StoredZip {
    var entries: [(name: String, bytes: [UInt8])]
    /// Sizes and offsets in ZIP64 extra fields (their 32-bit fields 0xFFFFFFFF) and ZIP64 end records, as an archive
    /// larger than 4 GiB has them.
    var zip64 = false
    /// The compression method every entry claims (its bytes are written as given).
    var method: UInt16 = 0

    /// The entries of a `torch.save` file `url`, as they are stored.
    static func entries(of url: URL) throws -> [(name: String, bytes: [UInt8])] {
        let bytes = try Data(contentsOf: url)
        return try bytes.withUnsafeBytes { raw in
            let archive = try ZipArchive(raw, source: url.path)
            return try archive.entries.keys.sorted().map { ($0, Array(raw[try archive.storedData($0)!])) }
        }
    }

    var data: Data {
        var file: [UInt8] = [], directory: [UInt8] = []
        let saturated = UInt32.max
        for (name, bytes) in entries {
            let offset = file.count
            let nameBytes = Array(name.utf8)
            file += le(UInt32(0x0403_4B50)) + le(UInt16(45)) + le(UInt16(0)) + le(method) + le(UInt32(0)) + le(UInt32(0))
            file += le(UInt32(bytes.count)) + le(UInt32(bytes.count)) + le(UInt16(nameBytes.count)) + le(UInt16(0)) + nameBytes + bytes
            let extra = zip64 ? le(UInt16(1)) + le(UInt16(24)) + le(UInt64(bytes.count)) + le(UInt64(bytes.count)) + le(UInt64(offset)) : []
            directory += le(UInt32(0x0201_4B50)) + le(UInt16(45)) + le(UInt16(45)) + le(UInt16(0)) + le(method) + le(UInt32(0))
            directory += le(UInt32(0)) + le(zip64 ? saturated : UInt32(bytes.count)) + le(zip64 ? saturated : UInt32(bytes.count))
            directory += le(UInt16(nameBytes.count)) + le(UInt16(extra.count)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(0))
            directory += le(UInt32(0)) + le(zip64 ? saturated : UInt32(offset)) + nameBytes + extra
        }
        let directoryOffset = file.count
        file += directory
        if zip64 {
            let record = file.count
            file += le(UInt32(0x0606_4B50)) + le(UInt64(44)) + le(UInt16(45)) + le(UInt16(45)) + le(UInt32(0)) + le(UInt32(0))
            file += le(UInt64(entries.count)) + le(UInt64(entries.count)) + le(UInt64(directory.count)) + le(UInt64(directoryOffset))
            file += le(UInt32(0x0706_4B50)) + le(UInt32(0)) + le(UInt64(record)) + le(UInt32(1))
            file += le(UInt32(0x0605_4B50)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt16.max) + le(UInt16.max) + le(saturated) + le(saturated)
        } else {
            file += le(UInt32(0x0605_4B50)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(entries.count)) + le(UInt16(entries.count))
            file += le(UInt32(directory.count)) + le(UInt32(directoryOffset))
        }
        return Data(file + le(UInt16(0)))
    }

    private func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { littleEndianBytes(value) }
}

/// Pickle opcodes with their operands, for hand-made `data.pkl`s.
enum PickleBytes {
    static let proto2: [UInt8] = [0x80, 2]
    static let proto4: [UInt8] = [0x80, 4]
    static let stop = Array(".".utf8)

    static func global(_ module: String, _ name: String) -> [UInt8] { Array("c\(module)\n\(name)\n".utf8) }

    static func string(_ text: String) -> [UInt8] { Array("X".utf8) + littleEndianBytes(UInt32(text.utf8.count)) + Array(text.utf8) }

    /// SHORT_BINUNICODE (protocol 4), for a text of at most 255 bytes.
    static func shortString(_ text: String) -> [UInt8] { [0x8C, UInt8(text.utf8.count)] + Array(text.utf8) }

    /// BININT1, BININT2 or BININT, as the value needs (LONG1 for a negative one), as Python pickles an int.
    static func integer(_ value: Int) -> [UInt8] {
        switch value {
        case 0..<256: return op("K") + [UInt8(value)]
        case 256..<65_536: return op("M") + littleEndianBytes(UInt16(value))
        case 65_536...Int(Int32.max): return op("J") + littleEndianBytes(Int32(value))
        default: return [0x8A, 8] + littleEndianBytes(Int64(value))
        }
    }

    static func op(_ ascii: String) -> [UInt8] { Array(ascii.utf8) }
}
