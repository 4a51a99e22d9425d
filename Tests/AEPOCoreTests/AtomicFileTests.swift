import XCTest
import AEPOCore
import AEPOTestSupport

final class AtomicFileTests: XCTestCase {
    func testWriteReplacesAndLeavesNoTemporaryFiles() throws {
        let dir = try Fixtures.temporaryDirectory()
        let file = dir.appendingPathComponent("out.txt")
        try AtomicFile.write("first", to: file)
        try AtomicFile.write("second", to: file)
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), "second")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["out.txt"])
    }

    func testFailedDirectoryBuildKeepsTheOldDirectory() throws {
        let dir = try Fixtures.temporaryDirectory()
        let target = dir.appendingPathComponent("ckpt")
        try AtomicFile.writeDirectory(at: target) { try AtomicFile.write("v1", to: $0.appendingPathComponent("a")) }
        struct Boom: Error {}
        XCTAssertThrowsError(try AtomicFile.writeDirectory(at: target) { _ in throw Boom() })
        XCTAssertEqual(try String(contentsOf: target.appendingPathComponent("a"), encoding: .utf8), "v1")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["ckpt"])
    }

    /// A killed process's temporaries go (a directory it had moved aside comes back when its replacement never
    /// arrived); a running process's, and other hidden names, stay.
    func testStaleTemporariesOfDeadProcessesAreCleared() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fm = FileManager.default, dead = try DeadProcess.identifier(), alive = ProcessInfo.processInfo.processIdentifier
        for name in [".step-000004.tmp-\(dead)-7", ".final.old-\(dead)-9", ".reference.old-\(dead)-3", "reference",
                     ".step-000005.tmp-\(alive)-1", ".hidden", ".x.tmp-12-y"] {
            try fm.createDirectory(at: dir.appendingPathComponent(name).appendingPathComponent("model"), withIntermediateDirectories: true)
        }
        try AtomicFile.write("{}", to: dir.appendingPathComponent(".config.json.tmp-\(dead)-8"))
        XCTAssertEqual(AtomicFile.removeStaleTemporaries(in: dir),
                       [".config.json.tmp-\(dead)-8", ".final.old-\(dead)-9", ".reference.old-\(dead)-3", ".step-000004.tmp-\(dead)-7"])
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: dir.path).sorted(),
                       [".hidden", ".step-000005.tmp-\(alive)-1", ".x.tmp-12-y", "final", "reference"])
        XCTAssertTrue(fm.fileExists(atPath: dir.appendingPathComponent("final/model").path), "restored whole")
    }

    func testRemoveLeavesNothing() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try AtomicFile.writeDirectory(at: dir.appendingPathComponent("step-000001")) { try AtomicFile.write("x", to: $0.appendingPathComponent("a")) }
        try AtomicFile.remove(dir.appendingPathComponent("step-000001"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
    }

    func testJSONLinesErrorNamesFileAndLine() throws {
        struct Row: Codable { var id: Int }
        let file = try Fixtures.temporaryDirectory().appendingPathComponent("rows.jsonl")
        try AtomicFile.write("{\"id\": 1}\n\n{\"id\": \"x\"}\n", to: file)
        XCTAssertThrowsError(try JSONLines.read(Row.self, from: file)) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.contains("rows.jsonl:3"), text)
            XCTAssertTrue(text.contains("id"), text)
        }
    }
}
