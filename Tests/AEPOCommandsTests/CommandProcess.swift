import AEPOCommands
import Foundation
import XCTest

/// An `aepo` command line run in a child process as the `aepo` executable runs it (`AEPOCommand.main`): the test binary
/// re-invoked to run `CommandProcessChild.testRunsCommand`, its standard output and error collected. The child is
/// killed when its handle goes, and exits by itself when the tests do.
final class CommandProcess {
    /// The environment variable that hands the child its command line, one argument a line.
    static let argumentsVariable = "AEPO_CHILD_COMMAND"

    let process = Process()
    private let lock = NSLock()
    private var collected = Data()

    /// Starts `aepo arguments…`.
    init(_ arguments: [String]) throws {
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["AEPOCommandsTests.CommandProcessChild/testRunsCommand"]
        process.environment = ProcessInfo.processInfo.environment.merging([Self.argumentsVariable: arguments.joined(separator: "\n")]) { $1 }
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let reading = pipe.fileHandleForReading
        Thread { [lock, weak self] in
            while case let data = reading.availableData, !data.isEmpty {
                guard let self else { return }
                lock.withLock { self.collected.append(data) }
            }
        }.start()
    }

    deinit { stop() }

    /// What the child wrote so far.
    var output: String { lock.withLock { String(decoding: collected, as: UTF8.self) } }

    /// Waits up to `timeout` seconds for the output to match `pattern` (a regular expression); the text of its first
    /// capture group. Throws, with the output, when the child exits or the time is up first.
    func wait(for pattern: String, timeout: TimeInterval = 60) throws -> String {
        let expression = try NSRegularExpression(pattern: pattern)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let text = output, running = process.isRunning
            if let match = expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
               let range = Range(match.range(at: 1), in: text) {
                return String(text[range])
            }
            guard running && Date() < deadline else {
                throw CommandProcessError("no output matching \(pattern) (\(running ? "still running" : "exited")): \(text.suffix(2000))")
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    /// Sends `signal` (SIGKILL: killed at once, nothing cleaned up) unless the child has exited, and waits until it has.
    func stop(_ signal: Int32 = SIGKILL) {
        if process.isRunning { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
    }
}

struct CommandProcessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The child side of `CommandProcess`: runs the command line it was handed; skipped unless started by one.
final class CommandProcessChild: XCTestCase {
    func testRunsCommand() async throws {
        guard let arguments = ProcessInfo.processInfo.environment[CommandProcess.argumentsVariable] else {
            throw XCTSkip("runs only as the child process of a CommandProcess")
        }
        setvbuf(stdout, nil, _IOLBF, 0)  // the parent reads what the command prints as it prints it
        let parent = getppid()
        Thread {
            while getppid() == parent { Thread.sleep(forTimeInterval: 0.5) }
            _exit(1)  // the tests that started this child are gone
        }.start()
        await AEPOCommand.main(arguments.split(separator: "\n").map(String.init))
    }
}
