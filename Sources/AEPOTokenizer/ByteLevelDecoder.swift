/// The `decoder` of a byte-level BPE `tokenizer.json` (`ByteLevel`): token strings back to text.
///
/// Each token's characters are mapped back to the bytes they stand for; a token with a character
/// outside the byte alphabet (an added token such as `"a b"`) contributes its own UTF-8 bytes.
/// The bytes of all tokens are then read as UTF-8, each invalid sequence becoming U+FFFD.
public struct ByteLevelDecoder: Equatable, Sendable {
    public init() {}

    init(json node: JSONNode) throws {
        guard try node.typeName() == "ByteLevel" else { throw try node.unsupported("decoder", supported: ["ByteLevel"]) }
    }

    public func decode<S: Sequence>(_ tokens: S) -> String where S.Element == String {
        var bytes: [UInt8] = []
        for token in tokens {
            bytes += ByteLevelAlphabet.decode(token) ?? Array(token.utf8)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    var json: String {
        "{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"trim_offsets\":true,\"use_regex\":true}"
    }
}
