import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Standard error as the long commands use it: plain lines and, when it is a terminal, a progress line below them.
public enum StandardError {
    /// The progress line, when standard error is a terminal; `nil` otherwise (logs and pipes get plain lines only).
    public static let progress: ProgressLine? = isatty(STDERR_FILENO) == 1 ? ProgressLine(columns: columns, output: output) : nil

    /// Writes `line`, above the progress line when one is shown.
    public static func write(_ line: String) {
        if let progress { progress.write(line) } else { output(line + "\n") }
    }

    private static func output(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// The terminal's width (80 when it does not say).
    private static func columns() -> Int {
        var size = winsize()
        guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }
}
