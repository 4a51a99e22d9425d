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
            return Array(String(view).precomposedStringWithCanonicalMapping.unicodeScalars)
        case .sequence(let normalizers):
            return normalizers.reduce(text) { $1.normalize($0) }
        }
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
