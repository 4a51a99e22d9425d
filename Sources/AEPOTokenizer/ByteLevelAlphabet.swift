/// The byte-to-Unicode mapping of byte-level BPE: every byte 0–255 is shown as one printable
/// Unicode scalar, so vocabularies and merges are plain strings in `tokenizer.json`.
///
/// Printable Latin-1 bytes (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) stand for themselves; the other 68 bytes,
/// in increasing order, get the scalars U+0100, U+0101, … (space becomes `Ġ`, newline `Ċ`).
public enum ByteLevelAlphabet {
    /// `scalar[b]` is the character that stands for byte `b`.
    public static let scalars: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte) {
                table[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    private static let bytesByScalar: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (byte, scalar) in scalars.enumerated() { map[scalar.value] = UInt8(byte) }
        return map
    }()

    /// The byte-level spelling of `bytes` (what `tokenizer.json` stores).
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var text = String.UnicodeScalarView()
        for byte in bytes { text.append(scalars[Int(byte)]) }
        return String(text)
    }

    /// The bytes a byte-level string stands for, or nil if a character is outside the alphabet.
    public static func decode(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            guard let byte = bytesByScalar[scalar.value] else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
