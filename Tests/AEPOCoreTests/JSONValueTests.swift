import AEPOCore
import Foundation
import XCTest

final class JSONValueTests: XCTestCase {
    private func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    func testParsesEveryKind() throws {
        let value = try parse(#" {"a": [1, -2, 3.5, 1e-06, 2E3, true, false, null], "b": {"c": "x\"\\\/\n\u00e9\ud83d\ude00"}, "d": 0} "#)
        XCTAssertEqual(value, .object([
            "a": .array([.integer(1), .integer(-2), .number(3.5), .number(1e-6), .number(2000), .bool(true), .bool(false), .null]),
            "b": .object(["c": .string("x\"\\/\né😀")]),
            "d": .integer(0),
        ]))
        XCTAssertEqual(try parse("12345678901234567890"), .number(12345678901234567890), "too large for Int")
        XCTAssertEqual(try parse(#""héllo""#), .string("héllo"))
    }

    func testRejectsMalformedInput() {
        for text in ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "tru", "\"abc", "\"\\x\"", "\"\\ud800\"", "[1] 2",
                     "{\"a\": 1, \"a\": 2}", "\"\u{01}\"", String(repeating: "[", count: 1000)] {
            XCTAssertThrowsError(try parse(text), text) { XCTAssertTrue($0 is JSONValue.SyntaxError, "\($0)") }
        }
        XCTAssertThrowsError(try JSONValue.parse([0x22, 0xFF, 0x22]), "invalid UTF-8")
    }

    func testSerializesSortedAndRoundTrips() throws {
        let value = JSONValue.object(["b": .array([.number(10000), .number(1e-6), .integer(-3)]), "a": .string("q\"\u{01}"), "c": .object([:])])
        XCTAssertEqual(value.serialized(), #"{"a":"q\"\u0001","b":[10000.0,1e-06,-3],"c":{}}"#)
        XCTAssertEqual(try parse(value.serialized()), value)
        XCTAssertEqual(try parse(value.serialized(indent: 2)), value)
        XCTAssertEqual(JSONValue.array([.integer(1)]).serialized(indent: 2), "[\n  1\n]")
    }

    /// `parse(_:building:)` hands a builder each object's members in the document's order, and still refuses duplicates.
    func testBuilderSeesTheDocumentOrder() throws {
        struct Outline: JSONBuilder {
            func scalar(_ value: JSONValue) -> String { value.serialized() }
            func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }
            func object(_ members: [(key: String, value: String)]) -> String {
                "{" + members.map { "\($0.key):\($0.value)" }.joined(separator: ",") + "}"
            }
        }
        XCTAssertEqual(try JSONValue.parse(Array(#"{"z": 1, "a": [true, {"y": null, "b": "s"}]}"#.utf8), building: Outline()),
                       #"{z:1,a:[true,{y:null,b:"s"}]}"#)
        XCTAssertThrowsError(try JSONValue.parse(Array(#"{"a": 1, "b": {"a": 2, "a": 3}}"#.utf8), building: Outline()))
    }
}
