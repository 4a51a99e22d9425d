import AEPOCore
import XCTest

/// A progress line is rewritten in place (`\r`, erase to the end), cut to the terminal's width, and keeps below the
/// ordinary lines written while it is shown.
final class ProgressLineTests: XCTestCase {
    func testShowWriteAndFinish() {
        var out = ""
        let line = ProgressLine(columns: { 12 }) { out += $0 }
        line.write("plain")
        XCTAssertEqual(out, "plain\n", "no progress line shown: the line as it is")
        out = ""
        line.show("sft 1/3")
        line.show("sft 2/3 and far too long")
        XCTAssertEqual(out, "\rsft 1/3\u{1B}[K\rsft 2/3 and\u{1B}[K", "cut to 11 characters so that it never wraps")
        out = ""
        line.write("warning")
        XCTAssertEqual(out, "\r\u{1B}[Kwarning\nsft 2/3 and\u{1B}[K", "the line above, the progress line below it again")
        out = ""
        line.finish()
        line.finish()
        line.write("done")
        XCTAssertEqual(out, "\ndone\n", "the last progress stays as an ordinary line")
    }
}
