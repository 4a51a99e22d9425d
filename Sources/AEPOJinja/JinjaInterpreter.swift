/// Renders parsed statements: writes text and `{{ }}` values, runs `if`, `for` (with `loop` and `else`), `set`,
/// macros, `break` and `continue`, and evaluates expressions with Python's semantics. Errors get the line of the
/// expression that failed.
final class JinjaInterpreter {
    /// How deep expressions may be evaluated inside one another, macro calls included (the parser bounds a template's
    /// own nesting; a macro that calls itself without end is an error, not a stack overflow).
    static let maximumDepth = 300

    private var output = ""
    private var depth = 0

    private enum Flow { case proceed, breakLoop, continueLoop }

    func render(_ nodes: [JinjaNode], variables: [String: JinjaValue]) throws -> String {
        let scope = JinjaScope(JinjaGlobals.functions.merging(variables) { $1 })
        _ = try execute(nodes, in: scope)
        return output
    }

    // MARK: Statements

    private func execute(_ nodes: [JinjaNode], in scope: JinjaScope) throws -> Flow {
        for node in nodes {
            var flow = Flow.proceed
            switch node {
            case .text(let text):
                output += text
            case .output(let expression):
                output += try evaluate(expression, in: scope).text
            case .conditional(let branches, let otherwise):
                let chosen = try branches.first { try evaluate($0.condition, in: scope).isTruthy }
                flow = try execute(chosen?.body ?? otherwise, in: scope)
            case .loop(let target, let iterable, let filter, let body, let otherwise):
                flow = try loop(target, iterable, filter, body, otherwise, in: scope)
            case .assignment(let target, let value):
                try assign(target, try evaluate(value, in: scope), in: scope, line: value.line)
            case .capture(let name, let body, let filtered):
                var value = JinjaValue.string(try capture(body, in: JinjaScope(parent: scope)))
                if let filtered { value = try evaluate(filtered, in: JinjaScope([JinjaNode.captured: value], parent: scope)) }
                scope.assign(name, value)
            case .macro(let name, let parameters, let body):
                scope.assign(name, .function(macro(name, parameters, body, definedIn: scope)))
            case .scope(let body):
                flow = try execute(body, in: JinjaScope(parent: scope))
            case .breakLoop:
                flow = .breakLoop
            case .continueLoop:
                flow = .continueLoop
            }
            if flow != .proceed { return flow }
        }
        return .proceed
    }

    private func loop(_ target: JinjaTarget, _ iterable: JinjaExpression, _ filter: JinjaExpression?, _ body: [JinjaNode],
                      _ otherwise: [JinjaNode], in scope: JinjaScope) throws -> Flow {
        var items = try evaluate(iterable, in: scope).iterated()
        if let filter {
            items = try items.filter { item in
                let iteration = JinjaScope(parent: scope)
                try assign(target, item, in: iteration, line: filter.line)
                return try evaluate(filter, in: iteration).isTruthy
            }
        }
        guard !items.isEmpty else { return try execute(otherwise, in: JinjaScope(parent: scope)) }
        for (index, item) in items.enumerated() {
            let iteration = JinjaScope(parent: scope)
            try assign(target, item, in: iteration, line: iterable.line)
            iteration.assign("loop", Self.loopVariable(index, items))
            if try execute(body, in: iteration) == .breakLoop { break }
        }
        return .proceed
    }

    /// jinja2's `loop`: `index`, `index0`, `revindex`, `revindex0`, `first`, `last`, `length`, `depth`, `depth0`,
    /// `previtem`/`nextitem` (undefined at the ends) and `cycle(…)`.
    private static func loopVariable(_ index: Int, _ items: [JinjaValue]) -> JinjaValue {
        let count = items.count
        var loop = JinjaDictionary()
        loop["index"] = .integer(index + 1)
        loop["index0"] = .integer(index)
        loop["revindex"] = .integer(count - index)
        loop["revindex0"] = .integer(count - index - 1)
        loop["first"] = .boolean(index == 0)
        loop["last"] = .boolean(index == count - 1)
        loop["length"] = .integer(count)
        loop["depth"] = .integer(1)
        loop["depth0"] = .integer(0)
        if index > 0 { loop["previtem"] = items[index - 1] }
        if index < count - 1 { loop["nextitem"] = items[index + 1] }
        loop["cycle"] = .function(JinjaFunction(name: "cycle") { args in
            guard !args.positional.isEmpty else { throw JinjaError.runtime("no items for cycling given") }
            return args.positional[index % args.positional.count]
        })
        return .dictionary(loop)
    }

    private func assign(_ target: JinjaTarget, _ value: JinjaValue, in scope: JinjaScope, line: Int) throws {
        switch target {
        case .name(let name):
            scope.assign(name, value)
        case .names(let names):
            let items = try value.iterated()
            guard items.count == names.count else {
                let problem = items.count > names.count ? "too many values to unpack" : "not enough values to unpack"
                throw JinjaError(.runtime, "\(problem) (expected \(names.count), got \(items.count))", line: line)
            }
            for (name, item) in zip(names, items) { scope.assign(name, item) }
        case .namespaceAttribute(let name, let attribute):
            guard case .namespace(let namespace)? = scope.lookup(name) else {
                throw JinjaError(.runtime, "cannot assign attribute on non-namespace object '\(name)'", line: line)
            }
            namespace.attributes[attribute] = value
        }
    }

    /// What `body` writes, rendered in `scope` apart from the output so far.
    private func capture(_ body: [JinjaNode], in scope: JinjaScope) throws -> String {
        let saved = output
        output = ""
        defer { output = saved }
        _ = try execute(body, in: scope)
        return output
    }

    private func macro(_ name: String, _ parameters: [(name: String, defaultValue: JinjaExpression?)], _ body: [JinjaNode],
                       definedIn scope: JinjaScope) -> JinjaFunction {
        // The scope holds the macro, so the macro holds it weakly (no reference cycle).
        JinjaFunction(name: name) { [unowned self, weak scope] args in
            guard let scope else { throw JinjaError.runtime("macro '\(name)' called after its template finished") }
            guard args.positional.count <= parameters.count else {
                throw JinjaError.runtime("macro '\(name)' takes not more than \(parameters.count) argument(s)")
            }
            if let unknown = args.keywords.first(where: { keyword in !parameters.contains { $0.name == keyword.name } }) {
                throw JinjaError.runtime("macro '\(name)' takes no keyword argument '\(unknown.name)'")
            }
            let call = JinjaScope(parent: scope)
            for (index, parameter) in parameters.enumerated() {
                if let value = args.value(index, parameter.name) {
                    call.assign(parameter.name, value)
                } else if let defaultValue = parameter.defaultValue {
                    call.assign(parameter.name, try evaluate(defaultValue, in: call))
                } else {
                    call.assign(parameter.name, .undefined(hint: "parameter '\(parameter.name)' was not provided"))
                }
            }
            return .string(try capture(body, in: call))
        }
    }

    // MARK: Expressions

    private func evaluate(_ expression: JinjaExpression, in scope: JinjaScope) throws -> JinjaValue {
        guard depth < Self.maximumDepth else {
            throw JinjaError(.runtime, "evaluation nests more than \(Self.maximumDepth) levels deep (a macro calling itself without end?)",
                             line: expression.line)
        }
        depth += 1
        defer { depth -= 1 }
        do {
            return try value(of: expression, in: scope)
        } catch var error as JinjaError where error.line == nil {
            error.line = expression.line
            throw error
        }
    }

    private func value(of expression: JinjaExpression, in scope: JinjaScope) throws -> JinjaValue {
        let evaluate = { (e: JinjaExpression) in try self.evaluate(e, in: scope) }
        switch expression.kind {
        case .string(let s): return .string(s)
        case .integer(let i): return .integer(i)
        case .float(let d): return .float(d)
        case .boolean(let b): return .boolean(b)
        case .none: return .none
        case .name(let name): return scope.lookup(name) ?? .undefined(hint: "'\(name)' is undefined")
        case .list(let items): return .list(try items.map(evaluate))
        case .tuple(let items): return .tuple(try items.map(evaluate))
        case .dictionary(let pairs):
            var dictionary = JinjaDictionary()
            for (key, value) in pairs {
                guard case .string(let name) = try evaluate(key) else { throw JinjaError.runtime("dictionary keys must be strings") }
                dictionary[name] = try evaluate(value)
            }
            return .dictionary(dictionary)
        case .attribute(let base, let name):
            return try evaluate(base).attribute(name)
        case .item(let base, let key):
            return try evaluate(base).item(try evaluate(key))
        case .slice(let base, let start, let stop, let step):
            let bound = { (e: JinjaExpression?) throws -> Int? in
                guard let e else { return nil }
                let value = try evaluate(e)
                if case .none = value { return nil }
                guard let i = value.integer else { throw JinjaError.runtime("slice indices must be integers or None") }
                return i
            }
            return try evaluate(base).slice(start: try bound(start), stop: try bound(stop), step: try bound(step))
        case .call(let callee, let arguments):
            return try call(callee, try self.arguments(arguments, in: scope), in: scope)
        case .filter(let base, let name, let arguments):
            return try JinjaFilters.all[name]!(try evaluate(base), try self.arguments(arguments, in: scope))
        case .test(let base, let name, let arguments):
            return .boolean(try JinjaPredicates.all[name]!(try evaluate(base), try self.arguments(arguments, in: scope)))
        case .not(let operand):
            return .boolean(!(try evaluate(operand).isTruthy))
        case .negative(let operand):
            let value = try evaluate(operand).defined()
            if let i = value.integer, i != .min { return .integer(-i) }
            guard case .float(let d) = value else { throw JinjaError.runtime("bad operand type for unary -: '\(value.typeName)'") }
            return .float(-d)
        case .positive(let operand):
            let value = try evaluate(operand).defined()
            if let i = value.integer { return .integer(i) }
            guard case .float = value else { throw JinjaError.runtime("bad operand type for unary +: '\(value.typeName)'") }
            return value
        case .binary("~", let left, let right):
            return .string(try evaluate(left).text + evaluate(right).text)
        case .binary(let op, let left, let right):
            return try JinjaValue.arithmetic(op, try evaluate(left), try evaluate(right))
        case .compare(let first, let operations):
            var left = try evaluate(first)
            for (op, rightExpression) in operations {
                let right = try evaluate(rightExpression)
                let holds: Bool
                switch op {
                case "==": holds = left.equals(right)
                case "!=": holds = !left.equals(right)
                case "in": holds = try right.contains(left)
                case "notin": holds = !(try right.contains(left))
                case "<": holds = try JinjaValue.order(left, right, op) < 0
                case "<=": holds = try JinjaValue.order(left, right, op) <= 0
                case ">": holds = try JinjaValue.order(left, right, op) > 0
                default: holds = try JinjaValue.order(left, right, op) >= 0
                }
                guard holds else { return .boolean(false) }
                left = right
            }
            return .boolean(true)
        case .and(let left, let right):
            let value = try evaluate(left)
            return value.isTruthy ? try evaluate(right) : value
        case .or(let left, let right):
            let value = try evaluate(left)
            return value.isTruthy ? value : try evaluate(right)
        case .conditional(let condition, let then, let otherwise):
            if try evaluate(condition).isTruthy { return try evaluate(then) }
            return try otherwise.map(evaluate)
                ?? .undefined(hint: "the inline if-expression on line \(expression.line) evaluated to false and no else section was defined")
        }
    }

    private func arguments(_ arguments: JinjaCallArguments, in scope: JinjaScope) throws -> JinjaArguments {
        JinjaArguments(try arguments.positional.map { try evaluate($0, in: scope) },
                       keywords: try arguments.keywords.map { ($0.name, try evaluate($0.value, in: scope)) })
    }

    /// A call of a function value, of a method (`text.strip()`, `message.items()`), or of a function held by a
    /// dictionary or namespace (`loop.cycle(…)`).
    private func call(_ callee: JinjaExpression, _ arguments: JinjaArguments, in scope: JinjaScope) throws -> JinjaValue {
        guard case .attribute(let base, let name) = callee.kind else {
            switch try evaluate(callee, in: scope) {
            case .function(let function): return try function(arguments)
            case .undefined(let hint): throw JinjaError.runtime(hint)
            case let other: throw JinjaError.runtime("'\(other.typeName)' object is not callable")
            }
        }
        let target = try evaluate(base, in: scope).defined()
        switch target {
        case .dictionary(let d) where !JinjaMethods.dictionaryMethods.contains(name):
            guard case .function(let function)? = d[name] else { throw JinjaError.runtime("'dict object' has no method '\(name)'") }
            return try function(arguments)
        case .namespace(let namespace):
            guard case .function(let function)? = namespace.attributes[name] else {
                throw JinjaError.runtime("'Namespace object' has no method '\(name)'")
            }
            return try function(arguments)
        default:
            return try JinjaMethods.call(name, on: target, arguments)
        }
    }
}
