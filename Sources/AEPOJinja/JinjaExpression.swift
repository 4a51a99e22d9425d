/// An expression of a template (inside `{{ }}` or a tag), with the line it is on.
struct JinjaExpression: Sendable {
    indirect enum Kind: Sendable {
        case string(String)
        case integer(Int)
        case float(Double)
        case boolean(Bool)
        case none
        case name(String)
        case list([JinjaExpression])
        case tuple([JinjaExpression])
        case dictionary([(key: JinjaExpression, value: JinjaExpression)])
        /// `value.name` (an item of a dictionary, an attribute of a namespace).
        case attribute(JinjaExpression, String)
        /// `value[key]`.
        case item(JinjaExpression, JinjaExpression)
        /// `value[start:stop:step]`.
        case slice(JinjaExpression, start: JinjaExpression?, stop: JinjaExpression?, step: JinjaExpression?)
        case call(JinjaExpression, JinjaCallArguments)
        /// `value | name(arguments)`.
        case filter(JinjaExpression, String, JinjaCallArguments)
        /// `value is name(arguments)`.
        case test(JinjaExpression, String, JinjaCallArguments)
        case not(JinjaExpression)
        case negative(JinjaExpression)
        case positive(JinjaExpression)
        /// `+ - * / // % **` and `~`.
        case binary(String, JinjaExpression, JinjaExpression)
        /// A comparison chain, `a < b <= c` (`== != < <= > >= in`, and `notin` for `not in`).
        case compare(JinjaExpression, [(op: String, JinjaExpression)])
        case and(JinjaExpression, JinjaExpression)
        case or(JinjaExpression, JinjaExpression)
        /// `then if condition else otherwise` (`otherwise` nil: undefined).
        case conditional(condition: JinjaExpression, then: JinjaExpression, otherwise: JinjaExpression?)
    }

    var kind: Kind
    var line: Int
}

/// The arguments written in a call: positional expressions, `name=expression` keywords, and Python's `*sequence`
/// (more positional arguments) and `**mapping` (more keywords).
struct JinjaCallArguments: Sendable {
    var positional: [JinjaExpression] = []
    var keywords: [(name: String, value: JinjaExpression)] = []
    var sequence: JinjaExpression?
    var mapping: JinjaExpression?
}
