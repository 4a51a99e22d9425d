import Foundation

/// One terminal line rewritten in place (`\r`) to show a long command's progress, with the command's other lines
/// written above it. Off a terminal there is none (`StandardError.progress` is `nil`) and a command writes its plain
/// lines only.
public final class ProgressLine: @unchecked Sendable {
    private let output: (String) -> Void
    private let columns: () -> Int
    private let lock = NSLock()
    /// The text on screen; `nil` when no progress line is shown.
    private var shown: String?

    /// A progress line written with `output` on a terminal `columns()` characters wide.
    public init(columns: @escaping () -> Int, output: @escaping (String) -> Void) {
        self.columns = columns
        self.output = output
    }

    /// Shows `text`, cut to the terminal's width so that it never wraps, in place of the line shown.
    public func show(_ text: String) {
        let fitted = String(text.prefix(max(columns() - 1, 1)))
        lock.withLock {
            shown = fitted
            output("\r" + fitted + Self.clearToEnd)
        }
    }

    /// Writes `line` as an ordinary line, above the progress line when one is shown.
    public func write(_ line: String) {
        lock.withLock {
            if let shown { output("\r" + Self.clearToEnd + line + "\n" + shown + Self.clearToEnd) } else { output(line + "\n") }
        }
    }

    /// Leaves the line shown on screen as an ordinary line; the next `show` starts a new one.
    public func finish() {
        lock.withLock {
            if shown != nil { output("\n") }
            shown = nil
        }
    }

    /// ANSI "erase to the end of the line".
    static let clearToEnd = "\u{1B}[K"
}
