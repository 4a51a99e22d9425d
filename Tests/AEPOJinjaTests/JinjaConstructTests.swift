import AEPOJinja
import AEPOTestSupport
import Foundation
import XCTest

/// Every template of `Tests/Fixtures/chat-templates/constructs.json` (raw blocks, recursive loops, `*args`/`**kwargs`,
/// macros with `varargs`/`kwargs`/`caller`, call, filter, with and block statements, `%` formatting, `str.format` and
/// `format_map` with their errors, jinja2's filters with `groupby`'s named tuples and `urlize`, key order) against what
/// the Jinja environment of transformers' `apply_chat_template` rendered
/// (`constructs-expected.json`, by `generators/make_chat_template_fixture.py`): the same text, or an error where it
/// failed, whose message starts with jinja2's.
final class JinjaConstructTests: XCTestCase {
    private func fixture(_ name: String) throws -> JinjaDictionary {
        guard case .dictionary(let d) = try JinjaValue.parse(json: try Data(contentsOf: Fixtures.url("chat-templates/\(name)"))) else {
            throw XCTSkip("\(name) is not an object")
        }
        return d
    }

    func testConstructsRenderAsTransformersDoes() throws {
        guard case .list(let cases)? = try fixture("constructs.json")["cases"], case .list(let results)? = try fixture("constructs-expected.json")["results"] else {
            return XCTFail("expected lists of cases and results")
        }
        XCTAssertEqual(cases.count, results.count)
        XCTAssertEqual(cases.count, 102)
        for case (.dictionary(let input), .dictionary(let result)) in zip(cases, results) {
            let name = input["name"]!.text
            XCTAssertEqual(result["case"]?.text, name)
            guard case .dictionary(let variables)? = input["variables"] else { return XCTFail("\(name): no variables") }
            let rendered = Result { try JinjaTemplate(input["template"]!.text).render(Dictionary(uniqueKeysWithValues: variables.items.map { ($0.key, $0.value) })) }
            switch (rendered, result["output"], result["error"]) {
            case (.success(let text), .string(let expected)?, nil):
                XCTAssertEqual(text, expected, name)
            case (.failure(let error as JinjaError), nil, .dictionary(let expected)?):
                let message = expected["message"]!.text
                XCTAssert(error.message.hasPrefix(message) || message.hasSuffix(error.message) && !error.message.isEmpty,
                          "\(name): \(error.message) against jinja2's \(expected["type"]!.text): \(message)")
                XCTAssertNotNil(error.line, "\(name): errors name the line")
            default:
                XCTFail("\(name): \(rendered) against \(result.items.map(\.key))")
            }
        }
    }
}
