import Foundation

/// The largest file of a set of tensors written as shards (`ShardPlan`), read as transformers reads a `max_shard_size`:
/// a whole number of bytes, or a number followed by KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024).
public struct ShardSize: Equatable, Sendable, CustomStringConvertible {
    /// transformers' default: weights above 5GB are written as shards.
    public static let standard = ShardSize(bytes: 5_000_000_000, description: "5GB")
    /// What a size must look like, for error messages.
    public static let expectedDescription = "a positive size such as 5GB, 500MB or 1000000"

    /// The size in bytes, at least 1.
    public let bytes: Int
    /// The size as written.
    public let description: String

    private init(bytes: Int, description: String) {
        self.bytes = bytes
        self.description = description
    }

    /// The size `text` spells, units in any case; `nil` unless it is at least one byte.
    public init?(_ text: String) {
        let units: [(String, Double)] = [("KiB", 0x1p10), ("MiB", 0x1p20), ("GiB", 0x1p30), ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("B", 1)]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let (unit, scale) = units.first { trimmed.uppercased().hasSuffix($0.0.uppercased()) } ?? ("", 1)
        guard let number = Double(trimmed.dropLast(unit.count).trimmingCharacters(in: .whitespaces)), number.isFinite, number >= 0,
              number * scale < 0x1p62, Int(number * scale) > 0 else { return nil }
        self.init(bytes: Int(number * scale), description: trimmed)
    }
}
