import Foundation
import XCTest

/// Code comments cite the algorithm's description by section (`docs/algorithm.md §5.3`); every cited
/// section must exist in that document, and no comment may cite a document outside the repository.
final class AlgorithmCitationTests: XCTestCase {
    /// The package root: `Tests/AEPOCoreTests/<this file>`, three levels down.
    private static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
    private static let document = "docs/algorithm.md"

    func testEveryCitedSectionExists() throws {
        let sections = try Self.sections()
        var citations = 0
        for file in try Self.swiftFiles() {
            let text = try String(contentsOf: file, encoding: .utf8)
            let cited = try Self.citations(in: text)
            citations += cited.count
            for citation in cited where !sections.contains(citation.section) {
                XCTFail("\(Self.relativePath(file)):\(citation.line) cites \(Self.document) §\(citation.section), which does not exist")
            }
        }
        XCTAssertGreaterThan(citations, 30, "the sources cite \(Self.document)")
    }

    func testNoCommentCitesTheFormerExternalSpecification() throws {
        let spec = try Regex(#"\bspec\b"#)
        for file in try Self.swiftFiles() {
            let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            for (index, line) in lines.enumerated() {
                guard let comment = line.range(of: "//") else { continue }
                XCTAssertFalse(line[comment.upperBound...].contains(spec),
                               "\(Self.relativePath(file)):\(index + 1) cites a document outside the repository; cite \(Self.document)")
            }
        }
    }

    /// The check itself: a citation of a missing section is found, with its line, and a present one is not.
    func testCitationsOfMissingSectionsAreFound() throws {
        let sections = try Self.sections()
        XCTAssertTrue(sections.isSuperset(of: ["1", "2.4", "5.3", "10.2"]), "\(sections.sorted())")
        // Built from `document` so that this file itself cites nothing.
        let text = "let x = 1\n/// EBPO (\(Self.document) §5.3, §99.1).\n/// \(Self.document) §2.4.\n/// Knuth, TAOCP §4.3.1: another document.\n"
        let cited = try Self.citations(in: text)
        XCTAssertEqual(cited.map(\.section), ["5.3", "99.1", "2.4"])
        XCTAssertEqual(cited.map(\.line), [2, 2, 3])
        XCTAssertEqual(cited.filter { !sections.contains($0.section) }.map(\.section), ["99.1"])
    }

    /// Section numbers of the document's headings (`## 2 Rollout`, `### 2.4 Entropy pre-monitoring` → "2", "2.4").
    private static func sections() throws -> Set<String> {
        let heading = try Regex(#"^#+ +([0-9]+(?:\.[0-9]+)*) "#)
        let text = try String(contentsOf: root.appendingPathComponent(document), encoding: .utf8)
        return Set(text.split(separator: "\n").compactMap { line in
            (line.firstMatch(of: heading)?.output[1].substring).map(String.init)
        })
    }

    /// Every `§N` that follows `docs/algorithm.md` on the same line (`§5.3`, or a list `§2.3, §2.4`).
    private static func citations(in text: String) throws -> [(line: Int, section: String)] {
        let section = try Regex(#"§([0-9]+(?:\.[0-9]+)*)"#)
        var found: [(line: Int, section: String)] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard let mention = line.range(of: document) else { continue }
            for match in line[mention.upperBound...].matches(of: section) {
                if let number = match.output[1].substring { found.append((index + 1, String(number))) }
            }
        }
        return found
    }

    /// The Swift files under `Sources/` and `Tests/`.
    private static func swiftFiles() throws -> [URL] {
        var files: [URL] = []
        for folder in ["Sources", "Tests"] {
            let enumerator = FileManager.default.enumerator(at: root.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            while let url = enumerator?.nextObject() as? URL {
                if url.pathExtension == "swift" { files.append(url) }
            }
        }
        XCTAssertFalse(files.isEmpty, "no Swift files under \(root.path)")
        return files
    }

    private static func relativePath(_ file: URL) -> String {
        String(file.path.dropFirst(root.path.count + 1))
    }
}
