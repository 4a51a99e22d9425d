/// The 64-bit FNV-1a hash of a string's UTF-8 bytes: stable across processes and platforms (unlike `Hasher`), for
/// stream numbers and identities that must not change between runs.
public enum FNV1a {
    public static func hash(_ text: String) -> UInt64 {
        text.utf8.reduce(0xCBF2_9CE4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01B3 }
    }
}
