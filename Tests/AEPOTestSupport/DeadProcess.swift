import Foundation

/// The id of a process that has exited (a short-lived child, waited for): what a killed run's temporaries are named
/// after.
public enum DeadProcess {
    public static func identifier() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exit 0"]
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }
}
