/// A statement of a parsed template.
indirect enum JinjaNode: Sendable {
    /// Text outside tags.
    case text(String)
    /// `{{ expression }}`.
    case output(JinjaExpression)
    /// `{% if %}` with its `elif` branches in order, then `else`.
    case conditional(branches: [(condition: JinjaExpression, body: [JinjaNode])], otherwise: [JinjaNode])
    case loop(JinjaLoop)
    /// `{% set target = value %}`.
    case assignment(target: JinjaTarget, value: JinjaExpression)
    /// The rendered body, through `filtered` (filters applied to `JinjaNode.captured`) when there are filters:
    /// assigned to `name` by `{% set name | filters %}body{% endset %}`, written by `{% filter filters %}` (name nil).
    case capture(name: String?, body: [JinjaNode], filtered: JinjaExpression?)
    case macro(JinjaMacro)
    /// `{% call(parameters) macro(arguments) %}body{% endcall %}`: the call, given `caller` (a macro of the body) as a
    /// keyword argument, written out.
    case callBlock(call: JinjaExpression, caller: JinjaMacro)
    /// A body with variables of its own: `{% with a = 1, b = 2 %}` (the values evaluated outside it) and
    /// transformers' `{% generation %}` block.
    case scope(assignments: [(target: JinjaTarget, value: JinjaExpression)], body: [JinjaNode])
    /// `{% block name %}` in a template that extends none: the body in place, seeing the template's top-level variables
    /// (and the enclosing ones when `scoped`); a `required` one is an error, as nothing overrides it.
    case block(name: String, body: [JinjaNode], scoped: Bool, required: Bool, line: Int)
    /// `include`, `import`, `from … import` or `extends` (the tag's name) on `line`: chat templates have no loader, so
    /// reaching one is an error, as in transformers.
    case load(String, line: Int)
    case breakLoop
    case continueLoop

    /// The variable holding a captured body while its filters run (a name no template can write).
    static let captured = " captured"
}

/// `{% for target in iterable if filter recursive %}body{% else %}otherwise{% endfor %}`.
struct JinjaLoop: Sendable {
    var target: JinjaTarget
    var iterable: JinjaExpression
    var filter: JinjaExpression?
    var body: [JinjaNode]
    var otherwise: [JinjaNode]
    /// `loop(items)` renders the body for `items` one level deeper.
    var recursive: Bool
}

/// A macro (`{% macro name(parameters) %}`) or the `caller` of a call block; a parameter's default is evaluated at
/// each call. As in jinja2, a macro whose body reads `varargs`, `kwargs` or `caller` takes extra positional arguments
/// (as the tuple `varargs`), extra keywords (as the dict `kwargs`) or a `caller` keyword.
struct JinjaMacro: Sendable {
    var name: String
    var parameters: [(name: String, defaultValue: JinjaExpression?)]
    var body: [JinjaNode]
    var catchesVarargs: Bool
    var catchesKeywords: Bool
    var catchesCaller: Bool
}

/// What `set`, `for` and `with` assign to.
enum JinjaTarget: Sendable {
    case name(String)
    /// `a, b` unpacks an item of as many values.
    case names([String])
    /// `namespace.attribute`.
    case namespaceAttribute(String, String)
}
