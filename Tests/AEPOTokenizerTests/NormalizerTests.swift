import AEPOTokenizer
import XCTest

/// NFC as the `tokenizers` library computes it (reference values from `normalizers.NFC()` 0.23.3).
final class NormalizerTests: XCTestCase {
    private func nfc(_ text: String) -> [UInt32] {
        Normalizer.nfc.normalize(Array(text.unicodeScalars)).map(\.value)
    }

    func testCompositionAndSingletons() {
        XCTAssertEqual(nfc("e\u{301}"), [0xE9])
        XCTAssertEqual(nfc("e\u{301}\u{302}"), [0xE9, 0x302])
        XCTAssertEqual(nfc("\u{301}\u{316}"), [0x316, 0x301])
        XCTAssertEqual(nfc("\u{2126}"), [0x3A9])
        XCTAssertEqual(nfc("plain ASCII\r\n"), Array("plain ASCII\r\n".unicodeScalars.map(\.value)))
    }

    func testHangulSyllables() {
        XCTAssertEqual(nfc("\u{1100}\u{1161}\u{11A8}"), [0xAC01])
        XCTAssertEqual(nfc("\u{AC00}\u{11A8}"), [0xAC01])
    }

    func testScalarsAboveBMPDoNotComposeWithMarks() {
        XCTAssertEqual(nfc("\u{10041}\u{301}"), [0x10041, 0x301])
        XCTAssertEqual(nfc("\u{20041}\u{301}"), [0x20041, 0x301])
    }

    func testNonStarterDecompositionsAreReordered() {
        XCTAssertEqual(nfc("\u{953}\u{F81}"), [0xF71, 0xF80, 0x953])
        XCTAssertEqual(nfc("a\u{953}\u{F73}"), [0x61, 0xF71, 0xF72, 0x953])
        XCTAssertEqual(nfc("e\u{344}"), [0xEB, 0x301])
    }

    func testScalarsNewerThanUnicode9AreLeftAlone() {
        // U+1E2EC (Unicode 12, ccc 230) and U+16FF0 (Unicode 13, ccc 6) are unassigned to Unicode 9 data.
        XCTAssertEqual(nfc("\u{1E2EC}\u{316}"), [0x1E2EC, 0x316])
        XCTAssertEqual(nfc("\u{7EE}\u{16FF0}"), [0x7EE, 0x16FF0])
        XCTAssertEqual(nfc("e\u{301}\u{1E2EC}e\u{301}"), [0xE9, 0x1E2EC, 0xE9])
    }
}
