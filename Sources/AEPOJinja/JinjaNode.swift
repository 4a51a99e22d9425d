/// A statement of a parsed template.
indirect enum JinjaNode: Sendable {
    /// Text outside tags.
    case text(String)
    /// `{{ expression }}`.
    case output(JinjaExpression)
    /// `{% if %}` with its `elif` branches in order, then `else`.
    case conditional(branches: [(condition: JinjaExpression, body: [JinjaNode])], otherwise: [JinjaNode])
    /// `{% for target in iterable if filter %}…{% else %}…{% endfor %}`.
    case loop(target: JinjaTarget, iterable: JinjaExpression, filter: JinjaExpression?, body: [JinjaNode], otherwise: [JinjaNode])
    /// `{% set target = value %}`.
    case assignment(target: JinjaTarget, value: JinjaExpression)
    /// `{% set name | filters %}body{% endset %}`: the rendered body, through `filtered` (the filters applied to
    /// `JinjaNode.captured`) when the tag has filters.
    case capture(name: String, body: [JinjaNode], filtered: JinjaExpression?)
    /// `{% macro name(parameters) %}body{% endmacro %}`; a parameter's default is evaluated at each call.
    case macro(name: String, parameters: [(name: String, defaultValue: JinjaExpression?)], body: [JinjaNode])
    /// A body with variables of its own (transformers' `{% generation %}` block).
    case scope([JinjaNode])
    case breakLoop
    case continueLoop

    /// The variable holding a block `set`'s rendered body while its filters run (a name no template can write).
    static let captured = " captured"
}

/// What `set` and `for` assign to.
enum JinjaTarget: Sendable {
    case name(String)
    /// `a, b` unpacks an item of as many values.
    case names([String])
    /// `namespace.attribute`.
    case namespaceAttribute(String, String)
}
