/// A Jinja template parsed once and rendered with variables, as transformers' `apply_chat_template` renders chat
/// templates: jinja2 with `trim_blocks` and `lstrip_blocks`, the globals `raise_exception`, `namespace`, `dict`,
/// `strftime_now` and `range`, transformers' `tojson`, loop controls (`break`, `continue`) and `{% generation %}`.
///
/// The subset: text, `{{ }}`, comments, whitespace control, `if`/`elif`/`else`, `for` (tuple targets, `if` filter,
/// `else`, `loop.*`), `set` (names, tuples, namespace attributes, blocks), `macro`; literals, lists, tuples, dicts,
/// attributes, subscripts, slices, calls, Python's operators, the filters of `JinjaFilters`, the tests of
/// `JinjaPredicates` and the `str`/`dict` methods of `JinjaMethods`. Anything else is a syntax error naming the line.
public struct JinjaTemplate: Sendable, Equatable {
    public let source: String
    private let nodes: [JinjaNode]

    /// Parses `source`; a `JinjaError` (`.syntax`) with the line when it is not a template this interpreter renders.
    public init(_ source: String) throws {
        self.source = source
        nodes = try JinjaParser.parse(source)
    }

    /// The text for `variables` (names missing from them are undefined); a `JinjaError` with the line when rendering
    /// fails (`.raised` for `raise_exception`).
    public func render(_ variables: [String: JinjaValue]) throws -> String {
        try JinjaInterpreter().render(nodes, variables: variables)
    }

    public static func == (a: JinjaTemplate, b: JinjaTemplate) -> Bool {
        a.source == b.source
    }
}
