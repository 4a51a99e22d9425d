/// A Jinja template parsed once and rendered with variables, as transformers' `apply_chat_template` renders chat
/// templates: jinja2 with `trim_blocks` and `lstrip_blocks`, the globals `raise_exception`, `namespace`, `dict`,
/// `strftime_now` and `range`, transformers' `tojson`, loop controls (`break`, `continue`) and `{% generation %}`.
///
/// The language: text, `{{ }}`, comments, whitespace control, `raw`, `if`/`elif`/`else`, `for` (tuple targets, `if`
/// filter, `else`, `recursive`, `loop.*`), `set` (names, tuples, namespace attributes, blocks), `with`, `filter`
/// blocks, `block`, `macro` (with `varargs`, `kwargs` and `caller`), `call` blocks; literals, lists, tuples, dicts,
/// attributes, subscripts, slices, calls (with `*args` and `**kwargs`), Python's operators (`%` formats strings), the
/// filters of `JinjaFilters`, the tests of `JinjaPredicates` and the `str`/`dict` methods of `JinjaMethods`.
/// `include`, `import` and `extends` parse but fail when reached (a chat template has no loader, as in transformers).
/// Anything else is a syntax error naming the line.
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
