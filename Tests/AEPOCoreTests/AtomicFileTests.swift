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
