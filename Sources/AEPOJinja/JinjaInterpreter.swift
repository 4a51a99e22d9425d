/// Renders parsed statements: writes text and `{{ }}` values, runs `if`, `for` (with `loop`, `else` and recursion),
/// `set`, `with`, blocks, filter blocks, macros and call blocks, `break` and `continue`, and evaluates expressions with
/// Python's semantics. Errors get the line of the expression that failed.
final class JinjaInterpreter {
    /// How deep expressions may be evaluated inside one another, macro calls included (the parser bounds a template's
    /// own nesting; a macro that calls itself without end is an error, not a stack overflow).
    static let maximumDepth = 300

    private var output = ""
    private var depth = 0
    /// The template's top-level variables (what a block sees).
    private var root = JinjaScope()

    private enum Flow { case proceed, breakLoop, continueLoop }

    func render(_ nodes: [JinjaNode], variables: [String: JinjaValue]) throws -> String {
        root = JinjaScope(JinjaGlobals.functions.merging(variables) { $1 })
        _ = try execute(nodes, in: root)
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
            case .loop(let loop):
                try self.loop(loop, try evaluate(loop.iterable, in: scope).iterated(), depth: 1, in: scope)
            case .assignment(let target, let value):
                try assign(target, try evaluate(value, in: scope), in: scope, line: value.line)
            case .capture(let name, let body, let filtered):
                var value = JinjaValue.string(try capture(body, in: JinjaScope(parent: scope)))
                if let filtered { value = try evaluate(filtered, in: JinjaScope([JinjaNode.captured: value], parent: scope)) }
                if let name { scope.assign(name, value) } else { output += value.text }
            case .macro(let macro):
                scope.assign(macro.name, .function(self.macro(macro, definedIn: scope)))
            case .callBlock(let call, let caller):
                guard case .call(let callee, var arguments) = call.kind else { preconditionFailure("the parser makes a call") }
                arguments.keywords.append(("caller", JinjaExpression(kind: .name(JinjaNode.captured), line: call.line)))
                let callerScope = JinjaScope([JinjaNode.captured: .function(macro(caller, definedIn: scope))], parent: scope)
                output += try evaluate(JinjaExpression(kind: .call(callee, arguments), line: call.line), in: callerScope).text
            case .scope(let assignments, let body):
                let inner = JinjaScope(parent: scope)
                for (target, value) in assignments { try assign(target, try evaluate(value, in: scope), in: inner, line: value.line) }
                flow = try execute(body, in: inner)
            case .block(let name, let body, let scoped, let required, let line):
                if required { throw JinjaError(.runtime, "Required block '\(name)' not found", line: line) }
                _ = try execute(body, in: JinjaScope(parent: scoped ? scope : root))
            case .load(let tag, let line):
                throw JinjaError(.runtime, "no loader for this environment specified: a chat template cannot load other templates ('\(tag)')",
                                 line: line)
            case .breakLoop:
                flow = .breakLoop
            case .continueLoop:
                flow = .continueLoop
            }
            if flow != .proceed { return flow }
        }
        return .proceed
    }

    /// Runs `loop` over `items` at `depth` (1 at the top, one more for each `loop(…)` of a recursive loop).
    private func loop(_ loop: JinjaLoop, _ all: [JinjaValue], depth: Int, in scope: JinjaScope) throws {
        var items = all
        if let filter = loop.filter {
            items = try items.filter { item in
                let iteration = JinjaScope(parent: scope)
                try assign(loop.target, item, in: iteration, line: filter.line)
                return try evaluate(filter, in: iteration).isTruthy
            }
        }
        guard !items.isEmpty else {
            _ = try execute(loop.otherwise, in: JinjaScope(parent: scope))
            return
        }
        let changes = LoopChanges()
        let recurse = { [unowned self, unowned scope] (args: JinjaArguments) throws -> JinjaValue in
            guard loop.recursive else { throw JinjaError.runtime("The loop must have the 'recursive' marker to be called recursively.") }
            guard args.positional.count == 1, args.keywords.isEmpty else { throw JinjaError.runtime("loop() takes one iterable") }
            return .string(try self.capture(in: scope) { try self.loop(loop, try args.positional[0].iterated(), depth: depth + 1, in: scope) })
        }
        for (index, item) in items.enumerated() {
            let iteration = JinjaScope(parent: scope)
            try assign(loop.target, item, in: iteration, line: loop.iterable.line)
            iteration.assign("loop", .function(JinjaFunction(name: "loop", attributes: Self.loopAttributes(index, items, depth: depth, changes),
                                                             body: recurse)))
            if try execute(loop.body, in: iteration) == .breakLoop { break }
        }
    }

    /// The values the last `loop.changed(…)` of a loop was given.
    private final class LoopChanges {
        var last: [JinjaValue]?
    }

    /// jinja2's `loop`: `index`, `index0`, `revindex`, `revindex0`, `first`, `last`, `length`, `depth`, `depth0`,
    /// `previtem`/`nextitem` (undefined at the ends), `cycle(…)` and `changed(…)`.
    private static func loopAttributes(_ index: Int, _ items: [JinjaValue], depth: Int, _ changes: LoopChanges) -> JinjaDictionary {
        let count = items.count
        var loop = JinjaDictionary()
        loop["index"] = .integer(index + 1)
        loop["index0"] = .integer(index)
        loop["revindex"] = .integer(count - index)
        loop["revindex0"] = .integer(count - index - 1)
        loop["first"] = .boolean(index == 0)
        loop["last"] = .boolean(index == count - 1)
        loop["length"] = .integer(count)
        loop["depth"] = .integer(depth)
        loop["depth0"] = .integer(depth - 1)
        if index > 0 { loop["previtem"] = items[index - 1] }
        if index < count - 1 { loop["nextitem"] = items[index + 1] }
        loop["cycle"] = .function(JinjaFunction(name: "cycle") { args in
            guard !args.positional.isEmpty else { throw JinjaError.runtime("no items for cycling given") }
            return args.positional[index % args.positional.count]
        })
        loop["changed"] = .function(JinjaFunction(name: "changed") { args in
            defer { changes.last = args.positional }
            guard let last = changes.last else { return .boolean(true) }
            return .boolean(!JinjaValue.tuple(last).equals(.tuple(args.positional)))
        })
        return loop
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
        try capture(in: scope) { _ = try execute(body, in: scope) }
    }

    /// What `render` writes, apart from the output so far.
    private func capture(in scope: JinjaScope, _ render: () throws -> Void) throws -> String {
        let saved = output
        output = ""
        defer { output = saved }
        try render()
        return output
    }

    /// A macro as jinja2's `Macro.__call__` binds its arguments: positional ones first, then keywords for the
    /// parameters left, then defaults; `caller`, `kwargs` and `varargs` take what is left over when the body reads
    /// them, and anything else left over is an error.
    private func macro(_ macro: JinjaMacro, definedIn scope: JinjaScope) -> JinjaFunction {
        let name = macro.name, parameters = macro.parameters
        // The scope holds the macro, so the macro holds it weakly (no reference cycle).
        return JinjaFunction(name: name) { [unowned self, weak scope] args in
            guard let scope else { throw JinjaError.runtime("macro '\(name)' called after its template finished") }
            var keywords = args.keywordDictionary
            let call = JinjaScope(parent: scope)
            var foundCaller = false
            for (index, parameter) in parameters.enumerated() {
                var value = index < args.positional.count ? args.positional[index] : nil
                if value == nil && args.positional.count < parameters.count {
                    value = keywords[parameter.name]
                    keywords[parameter.name] = nil
                    if parameter.name == "caller" { foundCaller = true }
                }
                if let value {
                    call.assign(parameter.name, value)
                } else if let defaultValue = parameter.defaultValue {
                    call.assign(parameter.name, try evaluate(defaultValue, in: call))
                } else {
                    call.assign(parameter.name, .undefined(hint: "parameter '\(parameter.name)' was not provided"))
                }
            }
            if macro.catchesCaller && !foundCaller {
                call.assign("caller", keywords["caller"] ?? .undefined(hint: "No caller defined"))
                keywords["caller"] = nil
            }
            if macro.catchesKeywords {
                call.assign("kwargs", .dictionary(keywords))
            } else if let unexpected = keywords.keys.first {
                throw JinjaError.runtime(keywords["caller"] != nil
                    ? "macro '\(name)' was invoked with two values for the special caller argument. This is most likely a bug."
                    : "macro '\(name)' takes no keyword argument '\(unexpected)'")
            }
            if macro.catchesVarargs {
                call.assign("varargs", .tuple(Array(args.positional.dropFirst(parameters.count))))
            } else if args.positional.count > parameters.count {
                throw JinjaError.runtime("macro '\(name)' takes not more than \(parameters.count) argument(s)")
            }
            return .string(try capture(macro.body, in: call))
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

    /// The arguments' values: the positional ones then `*sequence`'s items, the keywords then `**mapping`'s items.
    private func arguments(_ arguments: JinjaCallArguments, in scope: JinjaScope) throws -> JinjaArguments {
        var positional = try arguments.positional.map { try evaluate($0, in: scope) }
        if let sequence = arguments.sequence { positional += try evaluate(sequence, in: scope).iterated() }
        var keywords = try arguments.keywords.map { (name: $0.name, value: try evaluate($0.value, in: scope)) }
        if let mapping = arguments.mapping {
            let value = try evaluate(mapping, in: scope)
            guard case .dictionary(let items) = value else {
                throw JinjaError(.runtime, "argument after ** must be a mapping, not \(value.typeName)", line: mapping.line)
            }
            keywords += items.items.map { (name: $0.key, value: $0.value) }
        }
        var seen: Set<String> = []
        if let repeated = keywords.first(where: { !seen.insert($0.name).inserted }) {
            throw JinjaError.runtime("got multiple values for keyword argument '\(repeated.name)'")
        }
        return JinjaArguments(positional, keywords: keywords)
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
        case .function(let function):
            guard case .function(let method)? = function.attributes[name] else {
                throw JinjaError.runtime("'\(function.name)' has no method '\(name)'")
            }
            return try method(arguments)
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
