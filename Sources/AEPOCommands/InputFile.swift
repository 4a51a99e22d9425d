import AEPOCore
import Foundation

/// A file a command reads whole; the path `-` stands for standard input.
struct InputFile {
    let path: String

    init(_ path: String) {
        self.path = path
    }

    var isStandardInput: Bool { path == "-" }

    /// How errors name the input: its path, or "standard input".
    var name: String { isStandardInput ? "standard input" : path }

    /// The whole contents; a file that cannot be read is an `InputError` naming it.
    func read() throws -> Data {
        if isStandardInput {
            do {
                return try FileHandle.standardInput.readToEnd() ?? Data()
            } catch {
                throw InputError("cannot read standard input", source: name)
            }
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw InputError("cannot read file", source: name) }
        return data
    }

    /// The contents as UTF-8 text; invalid UTF-8 is an `InputError` naming the input.
    func text() throws -> String {
        guard let text = String(validating: try read(), as: UTF8.self) else {
            throw InputError("\(isStandardInput ? "input" : "file") is not valid UTF-8", source: name)
        }
        return text
    }
}
