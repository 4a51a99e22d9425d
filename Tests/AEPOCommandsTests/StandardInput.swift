import Foundation
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Runs `body` while the process's standard input reads `data` from a pipe, then restores the original.
/// The data is written from another thread, so it may exceed the pipe's buffer; what `body` leaves unread
/// is drained afterwards, so the writer always finishes.
func withStandardInput<T>(_ data: Data, _ body: () throws -> T) throws -> T {
    let pipe = Pipe()
    let saved = dup(STDIN_FILENO)
    precondition(saved >= 0 && dup2(pipe.fileHandleForReading.fileDescriptor, STDIN_FILENO) >= 0, "cannot redirect standard input")
    defer {
        dup2(saved, STDIN_FILENO)
        close(saved)
        _ = try? pipe.fileHandleForReading.readToEnd()
    }
    let writer = Thread {
        pipe.fileHandleForWriting.write(data)
        try? pipe.fileHandleForWriting.close()
    }
    writer.start()
    return try body()
}
