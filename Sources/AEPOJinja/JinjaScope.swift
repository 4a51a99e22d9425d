/// The variables visible at one point of a template, as jinja2 scopes them: the template's top level (the render
/// variables and what top-level `set`s assign), each loop iteration and each macro call have their own, and a name is
/// looked up from the innermost outwards. `set` assigns in the innermost scope, so a loop body's `set` is lost when
/// the iteration ends (which is why templates use `namespace`).
final class JinjaScope {
    private var variables: [String: JinjaValue]
    private let parent: JinjaScope?

    init(_ variables: [String: JinjaValue] = [:], parent: JinjaScope? = nil) {
        self.variables = variables
        self.parent = parent
    }

    func lookup(_ name: String) -> JinjaValue? {
        variables[name] ?? parent?.lookup(name)
    }

    func assign(_ name: String, _ value: JinjaValue) {
        variables[name] = value
    }
}
