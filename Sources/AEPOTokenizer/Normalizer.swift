// The standard library's NFC (the one `String` comparison uses); Foundation's on Linux
// mis-composes scalars above U+FFFF and skips Hangul LV + T.
@_spi(_Unicode) import Swift

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
            // The `tokenizers` library normalizes with Unicode 9.0 data: to it a later scalar is
            // unassigned (a starter that neither decomposes nor composes), so it is kept as it is
            // and the text on each side is normalized on its own. Earlier scalars normalize the same
            // in every later Unicode version (the normalization stability policy).
            var result: [Unicode.Scalar] = []
            result.reserveCapacity(text.count)
            var segment = String.UnicodeScalarView()
            func flush() {
                guard !segment.isEmpty else { return }
                result += String(decoding: String(segment)._nfcCodeUnits, as: UTF8.self).unicodeScalars
                segment = String.UnicodeScalarView()
            }
            for scalar in text {
                if scalar.value >= 0x300, let age = scalar.properties.age, age.major > 9 {
                    flush()
                    result.append(scalar)
                } else if let decomposition = Self.nonStarterDecompositions[scalar] {
                    segment.append(contentsOf: decomposition)
                } else {
                    segment.append(scalar)
                }
            }
            flush()
            return result
        case .sequence(let normalizers):
            return normalizers.reduce(text) { $1.normalize($0) }
        }
    }

    /// The four scalars whose canonical decomposition starts with a non-starter. The standard
    /// library's NFC does not reorder such a decomposition with the marks before it, so they are
    /// decomposed first (NFC(x) = NFC(NFD(x))).
    private static let nonStarterDecompositions: [Unicode.Scalar: [Unicode.Scalar]] = [
        "\u{344}": ["\u{308}", "\u{301}"],
        "\u{F73}": ["\u{F71}", "\u{F72}"],
        "\u{F75}": ["\u{F71}", "\u{F74}"],
        "\u{F81}": ["\u{F71}", "\u{F80}"],
    ]

    var json: String {
        switch self {
        case .nfc:
            return "{\"type\":\"NFC\"}"
        case .sequence(let normalizers):
            return "{\"type\":\"Sequence\",\"normalizers\":[\(normalizers.map(\.json).joined(separator: ","))]}"
        }
    }
}
