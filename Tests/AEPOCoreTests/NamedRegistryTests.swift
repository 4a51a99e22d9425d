import AEPOCore
import XCTest

/// One lookup by name for every registry: the entry, or an error naming the source and field and listing every name.
final class NamedRegistryTests: XCTestCase {
    private enum Shape: String, CaseIterable, NamedRegistry {
        case circle, square
        static let noun = "shape"
    }

    private struct Tool: NamedRegistry {
        let name: String
        static let all = [Tool(name: "saw"), Tool(name: "drill")]
        static let noun = "tool"
        static let defaultField: String? = "tool"
    }

    func testEntryByName() throws {
        XCTAssertEqual(try Shape.named("square"), .square)
        XCTAssertEqual(try Tool.named("drill").name, "drill")
    }

    func testUnknownNameListsEveryName() {
        XCTAssertThrowsError(try Shape.named("hex")) { error in
            XCTAssertEqual(error as? InputError, InputError("unknown shape 'hex'; expected one of circle, square", source: "input"))
        }
        XCTAssertThrowsError(try Tool.named("hammer", source: "--tool")) { error in
            XCTAssertEqual("\(error)", "--tool: field 'tool': unknown tool 'hammer'; expected one of saw, drill")
        }
        XCTAssertThrowsError(try Tool.named("hammer", field: "tools[2]")) { error in
            XCTAssertEqual((error as? InputError)?.field, "tools[2]")
        }
    }
}
