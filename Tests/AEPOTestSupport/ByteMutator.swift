import AEPOCore

/// Seeded mutations of a file's bytes, for loaders that must end in an error or a valid load, never a trap:
/// a flipped bit, a byte set to JSON punctuation or an extreme value, a number replaced by an extreme one, a
/// quoted string replaced by another of the file's, a span deleted or repeated, the bytes cut short.
public struct ByteMutator {
    private var generator: SeededGenerator

    /// Numbers a mutation writes in place of one: signs, zeros, and the edges of 32- and 64-bit integers and doubles.
    public static let extremeNumbers = ["-1", "0", "1", "1.5", "-0", "2147483648", "4294967296", "9223372036854775807",
                                        "9223372036854775808", "18446744073709551616", "1e308", "-1e308", "1e-400",
                                        "99999999999999999999999999"]
    private static let extremeBytes: [UInt8] = Array("\"{}[],:-09 \\".utf8) + [0x00, 0x7F, 0x80, 0xC3, 0xFF]

    public init(seed: UInt64) {
        generator = SeededGenerator(seed: seed)
    }

    /// `bytes` changed once, in one of the ways above, at a random place.
    public mutating func mutate(_ bytes: [UInt8]) -> [UInt8] {
        guard !bytes.isEmpty else { return bytes }
        var out = bytes
        let at = Int.random(in: 0..<bytes.count, using: &generator)
        switch Int.random(in: 0..<7, using: &generator) {
        case 0:
            out[at] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
        case 1:
            out[at] = Self.extremeBytes.randomElement(using: &generator)!
        case 2:
            guard let number = span(in: bytes, from: at, where: { Array("0123456789.eE+-".utf8).contains($0) }) else { return out }
            out.replaceSubrange(number, with: Array(Self.extremeNumbers.randomElement(using: &generator)!.utf8))
        case 3:
            let strings = quotedStrings(in: bytes)
            guard let target = strings.randomElement(using: &generator), let other = strings.randomElement(using: &generator) else { return out }
            out.replaceSubrange(target, with: bytes[other])
        case 4:
            out.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...16, using: &generator)))
        case 5:
            out.insert(contentsOf: bytes[at..<min(bytes.count, at + Int.random(in: 1...16, using: &generator))], at: at)
        default:
            out.removeSubrange(at...)
        }
        return out
    }

    /// The run of bytes satisfying `belongs` that holds the first such byte at or after `start`.
    private func span(in bytes: [UInt8], from start: Int, where belongs: (UInt8) -> Bool) -> Range<Int>? {
        guard var lower = bytes[start...].firstIndex(where: belongs) else { return nil }
        var upper = lower
        while upper < bytes.count && belongs(bytes[upper]) { upper += 1 }
        while lower > 0 && belongs(bytes[lower - 1]) { lower -= 1 }
        return lower..<upper
    }

    /// The byte ranges of the quoted strings (quotes included), backslash escapes skipped.
    private func quotedStrings(in bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var index = 0
        while let open = bytes[index...].firstIndex(of: UInt8(ascii: "\"")) {
            var close = open + 1
            while close < bytes.count && bytes[close] != UInt8(ascii: "\"") { close += bytes[close] == UInt8(ascii: "\\") ? 2 : 1 }
            guard close < bytes.count else { break }
            ranges.append(open..<(close + 1))
            index = close + 1
        }
        return ranges
    }
}
