import Foundation

/// The `normalizer` of a `tokenizer.json`: Unicode NFC, or a sequence of normalizers.
public indirect enum Normalizer: Equatable, Sendable {
    /// Canonical composition (Unicode NFC).
    case nfc
    /// Each normalizer in turn.
    case sequence([Normalizer])

    init(json node: JSONNode) throws {
        switch try node.typeName() {
        case "NFC":
            self = .nfc
        case "Sequence":
            self = .sequence(try node["normalizers"].array().map(Normalizer.init(json:)))
        default:
            throw try node.unsupported("normalizer", supported: ["NFC", "Sequence"])
        }
    }

    /// The normalized text.
    public func normalize(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        switch self {
        case .nfc:
            // Every scalar below U+0300 has NFC_Quick_Check = Yes and composes with nothing before it.
            if text.allSatisfy({ $0.value < 0x300 }) { return text }
            var view = String.UnicodeScalarView()
            view.append(contentsOf: text)
            return Self.composeHangulLVT(Array(String(view).precomposedStringWithCanonicalMapping.unicodeScalars))
        case .sequence(let normalizers):
            return normalizers.reduce(text) { $1.normalize($0) }
        }
    }

    /// Composes a precomposed LV syllable followed by a trailing consonant into the LVT syllable
    /// (Unicode §3.12: S = LV + (T − U+11A7)), a step Foundation's NFC leaves out on Linux.
    private static func composeHangulLVT(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        for scalar in text {
            if (0x11A8...0x11C2).contains(scalar.value), let last = out.last,
               (0xAC00..<0xAC00 + 11172).contains(last.value), (last.value - 0xAC00) % 28 == 0 {
                out[out.count - 1] = Unicode.Scalar(last.value + scalar.value - 0x11A7)!
            } else {
                out.append(scalar)
            }
        }
        return out
    }

    var json: String {
        switch self {
        case .nfc:
            return "{\"type\":\"NFC\"}"
        case .sequence(let normalizers):
            return "{\"type\":\"Sequence\",\"normalizers\":[\(normalizers.map(\.json).joined(separator: ","))]}"
        }
    }
}
