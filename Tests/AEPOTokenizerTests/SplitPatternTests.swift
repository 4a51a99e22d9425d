import AEPOTokenizer
import XCTest

/// The scanners against the pieces `tokenizers`' `Split(Regex(pattern), "isolated")` gave (0.23.3).
final class SplitPatternTests: XCTestCase {
    private let texts = [
        "It's 'S ok'\u{17F}x THEY'LL\r\n\n  go",
        "x  12345 3.14!!\n\n\t(yes)\r\n",
        " \u{A0}\u{F1}and\u{FA}\u{3000}\u{6771}\u{4EAC} ,,\n",
        "a'veb 'd   ",
        "\u{FF21}\u{FF22}\u{FF11}\u{FF12}\u{FF13} 😀😀 z\u{2028}w",
    ]

    private func pieces(_ pattern: SplitPattern, _ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return pattern.pieces(of: scalars).map { range in
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[range])
            return String(view)
        }
    }

    func testQwen2() {
        let expected: [[String]] = [
            ["It", "'s", " '", "S", " ok", "'\u{17F}", "x", " THEY", "'LL", "\r\n\n", " ", " go"],
            ["x", " ", " ", "1", "2", "3", "4", "5", " ", "3", ".", "1", "4", "!!\n\n", "\t", "(yes", ")\r\n"],
            [" ", "\u{A0}\u{F1}and\u{FA}", "\u{3000}\u{6771}\u{4EAC}", " ,,\n"],
            ["a", "'ve", "b", " '", "d", "   "],
            ["\u{FF21}\u{FF22}", "\u{FF11}", "\u{FF12}", "\u{FF13}", " 😀😀", " z", "\u{2028}w"],
        ]
        for (text, pieces) in zip(texts, expected) { XCTAssertEqual(self.pieces(.qwen2, text), pieces, text.debugDescription) }
    }

    func testLlama3GroupsUpToThreeDigits() {
        let expected: [[String]] = [
            ["It", "'s", " '", "S", " ok", "'\u{17F}", "x", " THEY", "'LL", "\r\n\n", " ", " go"],
            ["x", " ", " ", "123", "45", " ", "3", ".", "14", "!!\n\n", "\t", "(yes", ")\r\n"],
            [" ", "\u{A0}\u{F1}and\u{FA}", "\u{3000}\u{6771}\u{4EAC}", " ,,\n"],
            ["a", "'ve", "b", " '", "d", "   "],
            ["\u{FF21}\u{FF22}", "\u{FF11}\u{FF12}\u{FF13}", " 😀😀", " z", "\u{2028}w"],
        ]
        for (text, pieces) in zip(texts, expected) { XCTAssertEqual(self.pieces(.llama3, text), pieces, text.debugDescription) }
    }

    func testGPT2() {
        let expected: [[String]] = [
            ["It", "'s", " '", "S", " ok", "'", "\u{17F}x", " THEY", "'", "LL", "\r\n\n ", " go"],
            ["x", " ", " 12345", " 3", ".", "14", "!!", "\n\n", "\t", "(", "yes", ")", "\r\n"],
            [" ", "\u{A0}", "\u{F1}and\u{FA}", "\u{3000}", "\u{6771}\u{4EAC}", " ,,", "\n"],
            ["a", "'ve", "b", " '", "d", "   "],
            ["\u{FF21}\u{FF22}", "\u{FF11}\u{FF12}\u{FF13}", " 😀😀", " z", "\u{2028}", "w"],
        ]
        for (text, pieces) in zip(texts, expected) { XCTAssertEqual(self.pieces(.gpt2, text), pieces, text.debugDescription) }
    }

    func testLettersNewerThanUnicode16AreSymbols() {
        // U+0C5C (a Telugu letter of Unicode 17) is unassigned to the regex engine of `tokenizers` 0.23.
        XCTAssertEqual(pieces(.qwen2, "ab\u{C5C}cd \u{C5C}\u{C5C}x"), ["ab", "\u{C5C}cd", " \u{C5C}\u{C5C}", "x"])
    }

    func testEmptyTextHasNoPieces() {
        for pattern in SplitPattern.allCases { XCTAssertEqual(pattern.pieces(of: []), []) }
    }
}
