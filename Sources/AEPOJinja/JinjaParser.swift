/// Builds the statements of a template from its tokens, following jinja2's grammar and operator precedence (lowest
/// first): `x if c else y`, `or`, `and`, `not`, comparisons and `in`, `+ -`, `~`, `* / // %`, `**`, unary `- +`,
/// then postfix `.name`, `[…]`, calls, `| filter` and `is test`. Unknown filters and tests are errors here, as jinja2
/// reports them when it compiles a template.
struct JinjaParser {
    private let tokens: [JinjaToken]
    private var index = 0
    /// Loops around the statement being parsed (`break` and `continue` need one).
    private var loopDepth = 0
    /// Blocks, bracketed expressions and operator chains (`a + b + c` is two levels deep) open around the current token,
    /// at most `maximumNesting` (the parser and the interpreter recurse once per level, so a deeper template is an error
    /// rather than a stack overflow).
    private var nesting = 0
    static let maximumNesting = 100
    /// For each macro (or call block) being parsed, innermost last: which of `varargs`, `kwargs` and `caller` its body
    /// reads so far (nested macros included, as jinja2 counts them).
    private var macroReads: [Set<String>] = []
    /// The names of the `{% block %}`s so far (each may be defined once).
    private var blockNames: Set<String> = []

    private init(tokens: [JinjaToken]) {
        self.tokens = tokens
    }

    static func parse(_ source: String) throws -> [JinjaNode] {
        var parser = JinjaParser(tokens: try JinjaLexer.tokenize(source))
        let (body, _) = try parser.statements(until: [])
        return body
    }

    // MARK: Tokens

    private var current: JinjaToken { tokens[index] }

    private func peek(_ offset: Int = 1) -> JinjaToken {
        tokens[min(index + offset, tokens.count - 1)]
    }

    private mutating func next() -> JinjaToken {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    private func isOperator(_ op: String, _ token: JinjaToken? = nil) -> Bool {
        (token ?? current).kind == .operator(op)
    }

    private func isName(_ name: String, _ token: JinjaToken? = nil) -> Bool {
        (token ?? current).kind == .name(name)
    }

    private mutating func skip(operator op: String) -> Bool {
        guard isOperator(op) else { return false }
        index += 1
        return true
    }

    private mutating func skip(name: String) -> Bool {
        guard isName(name) else { return false }
        index += 1
        return true
    }

    /// One nesting level deeper; the caller goes back up.
    private mutating func deepen() throws {
        guard nesting < Self.maximumNesting else { throw failure("the template nests more than \(Self.maximumNesting) levels deep") }
        nesting += 1
    }

    /// `body` one nesting level deeper.
    private mutating func nested<T>(_ body: (inout JinjaParser) throws -> T) throws -> T {
        try deepen()
        defer { nesting -= 1 }
        return try body(&self)
    }

    /// A left-to-right chain `first op operand op operand …`: each link one level deeper (each is a node above the last).
    private mutating func chain(_ first: JinjaExpression,
                                link: (inout JinjaParser, JinjaExpression) throws -> JinjaExpression?) throws -> JinjaExpression {
        var value = first, links = 0
        defer { nesting -= links }
        while true {
            try deepen()
            links += 1
            guard let next = try link(&self, value) else { return value }
            value = next
        }
    }

    private func failure(_ message: String, _ token: JinjaToken? = nil) -> JinjaError {
        JinjaError(.syntax, message, line: (token ?? current).line)
    }

    private mutating func expect(operator op: String) throws {
        guard skip(operator: op) else { throw failure("expected '\(op)', got \(current.described)") }
    }

    private mutating func expectBlockEnd() throws {
        guard current.kind == .blockEnd else { throw failure("expected end of statement block, got \(current.described)") }
        index += 1
    }

    private mutating func expectName() throws -> String {
        guard case .name(let name) = current.kind else { throw failure("expected a name, got \(current.described)") }
        index += 1
        return name
    }

    // MARK: Statements

    /// Statements up to a block tag named in `endTags` (consumed with its name; the caller parses the rest of the tag),
    /// which is returned; at the end of the template when `endTags` is empty.
    private mutating func statements(until endTags: Set<String>) throws -> ([JinjaNode], String?) {
        var body: [JinjaNode] = []
        while true {
            let token = next()
            switch token.kind {
            case .text(let text):
                body.append(.text(text))
            case .variableBegin:
                body.append(.output(try tuple()))
                guard current.kind == .variableEnd else { throw failure("expected end of print statement, got \(current.described)") }
                index += 1
            case .blockBegin:
                guard case .name(let tag) = current.kind else { throw failure("expected a statement name, got \(current.described)") }
                if endTags.contains(tag) {
                    index += 1
                    return (body, tag)
                }
                body.append(try nested { try $0.statement() })
            case .end:
                guard endTags.isEmpty else {
                    throw failure("unexpected end of template, expected " + endTags.sorted().map { "'\($0)'" }.joined(separator: " or "), token)
                }
                return (body, nil)
            default:
                throw failure("unexpected \(token.described)", token)
            }
        }
    }

    private mutating func statement() throws -> JinjaNode {
        let tagToken = current
        let tag = try expectName()
        switch tag {
        case "if": return try ifStatement()
        case "for": return try forStatement()
        case "set": return try setStatement()
        case "macro": return try macroStatement()
        case "call": return try callStatement(tagToken)
        case "filter": return try filterStatement()
        case "with": return try withStatement()
        case "block": return try blockStatement()
        case "include", "import", "from", "extends": return try loadStatement(tag, line: tagToken.line)
        case "generation":
            try expectBlockEnd()
            let (body, _) = try statements(until: ["endgeneration"])
            try expectBlockEnd()
            return .scope(assignments: [], body: body)
        case "break", "continue":
            guard loopDepth > 0 else { throw failure("'\(tag)' outside of a loop", tagToken) }
            try expectBlockEnd()
            return tag == "break" ? .breakLoop : .continueLoop
        default:
            throw failure("Encountered unknown tag '\(tag)'.", tagToken)
        }
    }

    private mutating func ifStatement() throws -> JinjaNode {
        var branches: [(condition: JinjaExpression, body: [JinjaNode])] = []
        var condition = try tuple(conditional: false)
        while true {
            try expectBlockEnd()
            let (body, tag) = try statements(until: ["elif", "else", "endif"])
            branches.append((condition, body))
            switch tag {
            case "elif":
                condition = try tuple(conditional: false)
            case "else":
                try expectBlockEnd()
                let (otherwise, _) = try statements(until: ["endif"])
                try expectBlockEnd()
                return .conditional(branches: branches, otherwise: otherwise)
            default:
                try expectBlockEnd()
                return .conditional(branches: branches, otherwise: [])
            }
        }
    }

    private mutating func forStatement() throws -> JinjaNode {
        let target = try assignmentTarget(namespaces: false)
        guard skip(name: "in") else { throw failure("expected 'in', got \(current.described)") }
        let iterable = try tuple(conditional: false, endNames: ["recursive"])
        let filter = skip(name: "if") ? try expression() : nil
        let recursive = skip(name: "recursive")
        try expectBlockEnd()
        loopDepth += 1
        let (body, tag) = try statements(until: ["endfor", "else"])
        loopDepth -= 1
        var otherwise: [JinjaNode] = []
        if tag == "else" {
            try expectBlockEnd()
            (otherwise, _) = try statements(until: ["endfor"])
        }
        try expectBlockEnd()
        return .loop(JinjaLoop(target: target, iterable: iterable, filter: filter, body: body, otherwise: otherwise, recursive: recursive))
    }

    private mutating func setStatement() throws -> JinjaNode {
        let target = try assignmentTarget(namespaces: true)
        if skip(operator: "=") {
            let value = try tuple()
            try expectBlockEnd()
            return .assignment(target: target, value: value)
        }
        guard case .name(let name) = target else { throw failure("expected '=', got \(current.described)") }
        var filtered: JinjaExpression?
        if isOperator("|") {
            filtered = try filters(on: JinjaExpression(kind: .name(JinjaNode.captured), line: current.line))
        }
        try expectBlockEnd()
        let (body, _) = try statements(until: ["endset"])
        try expectBlockEnd()
        return .capture(name: name, body: body, filtered: filtered)
    }

    private mutating func macroStatement() throws -> JinjaNode {
        let name = try expectName()
        guard isOperator("(") else { throw failure("expected '(', got \(current.described)") }
        return .macro(try macro(name, parameters: try signature(), end: "endmacro"))
    }

    /// `(a, b=default, …)`: a macro's or a call block's parameters.
    private mutating func signature() throws -> [(name: String, defaultValue: JinjaExpression?)] {
        try expect(operator: "(")
        var parameters: [(name: String, defaultValue: JinjaExpression?)] = []
        while !skip(operator: ")") {
            if !parameters.isEmpty { try expect(operator: ",") }
            if skip(operator: ")") { break }
            let parameter = try expectName()
            let defaultValue = skip(operator: "=") ? try expression() : nil
            if defaultValue == nil, parameters.last?.defaultValue != nil {
                throw failure("non-default argument '\(parameter)' follows default argument")
            }
            parameters.append((parameter, defaultValue))
        }
        return parameters
    }

    /// The rest of a macro's (or a call block's) tag, then its body up to `end`.
    private mutating func macro(_ name: String, parameters: [(name: String, defaultValue: JinjaExpression?)], end: String) throws -> JinjaMacro {
        try expectBlockEnd()
        let depth = loopDepth
        loopDepth = 0
        macroReads.append([])
        let (body, _) = try statements(until: [end])
        let reads = macroReads.removeLast()
        loopDepth = depth
        try expectBlockEnd()
        // A parameter of the same name is an ordinary one.
        let catches = { (special: String) in reads.contains(special) && !parameters.contains { $0.name == special } }
        return JinjaMacro(name: name, parameters: parameters, body: body, catchesVarargs: catches("varargs"),
                          catchesKeywords: catches("kwargs"), catchesCaller: catches("caller"))
    }

    /// `{% call(parameters) macro(arguments) %}body{% endcall %}`.
    private mutating func callStatement(_ tagToken: JinjaToken) throws -> JinjaNode {
        let parameters = isOperator("(") ? try signature() : []
        let call = try expression()
        guard case .call = call.kind else { throw failure("expected call", tagToken) }
        return .callBlock(call: call, caller: try macro("caller", parameters: parameters, end: "endcall"))
    }

    /// `{% filter name(arguments) | … %}body{% endfilter %}`.
    private mutating func filterStatement() throws -> JinjaNode {
        let filtered = try filters(on: try filter(on: JinjaExpression(kind: .name(JinjaNode.captured), line: current.line), line: current.line))
        try expectBlockEnd()
        let (body, _) = try statements(until: ["endfilter"])
        try expectBlockEnd()
        return .capture(name: nil, body: body, filtered: filtered)
    }

    /// `{% with target = value, … %}body{% endwith %}`.
    private mutating func withStatement() throws -> JinjaNode {
        var assignments: [(target: JinjaTarget, value: JinjaExpression)] = []
        while current.kind != .blockEnd {
            if !assignments.isEmpty { try expect(operator: ",") }
            let target = try assignmentTarget(namespaces: false)
            try expect(operator: "=")
            assignments.append((target, try expression()))
        }
        try expectBlockEnd()
        let (body, _) = try statements(until: ["endwith"])
        try expectBlockEnd()
        return .scope(assignments: assignments, body: body)
    }

    /// `{% block name [scoped] [required] %}body{% endblock [name] %}`.
    private mutating func blockStatement() throws -> JinjaNode {
        let nameToken = current
        let name = try expectName()
        guard blockNames.insert(name).inserted else { throw failure("block '\(name)' defined twice", nameToken) }
        let scoped = skip(name: "scoped")
        let required = skip(name: "required")
        try expectBlockEnd()
        let (body, _) = try statements(until: ["endblock"])
        if case .name(let closing) = current.kind {
            guard closing == name else { throw failure("'\(name)' expected, got '\(closing)'") }
            index += 1
        }
        try expectBlockEnd()
        return .block(name: name, body: body, scoped: scoped, required: required, line: nameToken.line)
    }

    /// `{% include name [ignore missing] [with/without context] %}`, `{% import name as alias %}`,
    /// `{% from name import a [as b], … %}` or `{% extends name %}`.
    private mutating func loadStatement(_ tag: String, line: Int) throws -> JinjaNode {
        _ = try expression()
        switch tag {
        case "include":
            if isName("ignore") && isName("missing", peek()) { index += 2 }
        case "import":
            guard skip(name: "as") else { throw failure("expected 'as', got \(current.described)") }
            _ = try expectName()
        case "from":
            guard skip(name: "import") else { throw failure("expected 'import', got \(current.described)") }
            repeat {
                if isName("with") || isName("without"), isName("context", peek()) { break }
                _ = try expectName()
                if skip(name: "as") { _ = try expectName() }
            } while skip(operator: ",")
        default:
            break
        }
        if tag != "extends", isName("with") || isName("without"), isName("context", peek()) { index += 2 }
        try expectBlockEnd()
        return .load(tag, line: line)
    }

    /// `name`, `a, b`, `(a, b)`, or with `namespaces` `ns.attribute`.
    private mutating func assignmentTarget(namespaces: Bool) throws -> JinjaTarget {
        if namespaces, case .name(let namespace) = current.kind, isOperator(".", peek()) {
            index += 2
            return .namespaceAttribute(namespace, try expectName())
        }
        let parenthesized = skip(operator: "(")
        var names = [try expectName()]
        while skip(operator: ",") {
            guard case .name = current.kind else { break }
            names.append(try expectName())
        }
        if parenthesized { try expect(operator: ")") }
        return names.count == 1 && !parenthesized ? .name(names[0]) : .names(names)
    }

    // MARK: Expressions

    /// Comma-separated expressions: a tuple when there is a comma, else the one expression.
    private mutating func tuple(conditional: Bool = true, endNames: Set<String> = [], parenthesized: Bool = false) throws -> JinjaExpression {
        let line = current.line
        var items: [JinjaExpression] = []
        var isTuple = false
        while true {
            if !items.isEmpty { try expect(operator: ",") }
            if current.kind == .variableEnd || current.kind == .blockEnd || isOperator(")") { break }
            if case .name(let n) = current.kind, endNames.contains(n) { break }
            items.append(conditional ? try expression() : try or())
            guard isOperator(",") else { break }
            isTuple = true
        }
        if !isTuple {
            if let only = items.first { return only }
            if !parenthesized { throw failure("expected an expression, got \(current.described)") }
        }
        return JinjaExpression(kind: .tuple(items), line: line)
    }

    private mutating func expression() throws -> JinjaExpression {
        try chain(try or()) { parser, value in
            guard parser.skip(name: "if") else { return nil }
            let condition = try parser.or()
            let otherwise = parser.skip(name: "else") ? try parser.expression() : nil
            return JinjaExpression(kind: .conditional(condition: condition, then: value, otherwise: otherwise), line: condition.line)
        }
    }

    private mutating func or() throws -> JinjaExpression {
        try chain(try and()) { parser, left in
            guard parser.isName("or") else { return nil }
            let line = parser.next().line
            return JinjaExpression(kind: .or(left, try parser.and()), line: line)
        }
    }

    private mutating func and() throws -> JinjaExpression {
        try chain(try not()) { parser, left in
            guard parser.isName("and") else { return nil }
            let line = parser.next().line
            return JinjaExpression(kind: .and(left, try parser.not()), line: line)
        }
    }

    private mutating func not() throws -> JinjaExpression {
        guard isName("not") else { return try comparison() }
        let line = next().line
        return JinjaExpression(kind: .not(try nested { try $0.not() }), line: line)
    }

    private mutating func comparison() throws -> JinjaExpression {
        let left = try sum()
        var operations: [(op: String, JinjaExpression)] = []
        while true {
            if case .operator(let op) = current.kind, ["==", "!=", "<", "<=", ">", ">="].contains(op) {
                index += 1
                operations.append((op, try sum()))
            } else if skip(name: "in") {
                operations.append(("in", try sum()))
            } else if isName("not") && isName("in", peek()) {
                index += 2
                operations.append(("notin", try sum()))
            } else {
                break
            }
        }
        return operations.isEmpty ? left : JinjaExpression(kind: .compare(left, operations), line: left.line)
    }

    private mutating func binary(_ operators: Set<String>, operand: (inout JinjaParser) throws -> JinjaExpression) throws -> JinjaExpression {
        try chain(try operand(&self)) { parser, left in
            guard case .operator(let op) = parser.current.kind, operators.contains(op) else { return nil }
            let line = parser.next().line
            return JinjaExpression(kind: .binary(op, left, try operand(&parser)), line: line)
        }
    }

    private mutating func sum() throws -> JinjaExpression {
        try binary(["+", "-"]) { try $0.concatenation() }
    }

    private mutating func concatenation() throws -> JinjaExpression {
        try binary(["~"]) { try $0.product() }
    }

    private mutating func product() throws -> JinjaExpression {
        try binary(["*", "/", "//", "%"]) { try $0.power() }
    }

    private mutating func power() throws -> JinjaExpression {
        try binary(["**"]) { try $0.unary() }
    }

    private mutating func unary(filtered: Bool = true) throws -> JinjaExpression {
        var value: JinjaExpression
        let line = current.line
        if skip(operator: "-") {
            value = JinjaExpression(kind: .negative(try nested { try $0.unary(filtered: false) }), line: line)
        } else if skip(operator: "+") {
            value = JinjaExpression(kind: .positive(try nested { try $0.unary(filtered: false) }), line: line)
        } else {
            value = try nested { try $0.primary() }
        }
        value = try postfix(value)
        return filtered ? try filters(on: value) : value
    }

    private mutating func primary() throws -> JinjaExpression {
        let token = next()
        let kind: JinjaExpression.Kind
        switch token.kind {
        case .name(let name):
            switch name {
            case "true", "True": kind = .boolean(true)
            case "false", "False": kind = .boolean(false)
            case "none", "None": kind = .none
            default:
                if ["varargs", "kwargs", "caller"].contains(name) {
                    macroReads.indices.forEach { macroReads[$0].insert(name) }
                }
                kind = .name(name)
            }
        case .string(var text):
            while case .string(let more) = current.kind {
                text += more
                index += 1
            }
            kind = .string(text)
        case .integer(let i): kind = .integer(i)
        case .float(let d): kind = .float(d)
        case .operator("("):
            let value = try tuple(parenthesized: true)
            try expect(operator: ")")
            return value
        case .operator("["):
            var items: [JinjaExpression] = []
            while !skip(operator: "]") {
                if !items.isEmpty { try expect(operator: ",") }
                if skip(operator: "]") { break }
                items.append(try expression())
            }
            kind = .list(items)
        case .operator("{"):
            var items: [(key: JinjaExpression, value: JinjaExpression)] = []
            while !skip(operator: "}") {
                if !items.isEmpty { try expect(operator: ",") }
                if skip(operator: "}") { break }
                let key = try expression()
                try expect(operator: ":")
                items.append((key, try expression()))
            }
            kind = .dictionary(items)
        default:
            throw failure("expected an expression, got \(token.described)", token)
        }
        return JinjaExpression(kind: kind, line: token.line)
    }

    /// `.name`, `[subscript]` and calls after a primary expression.
    private mutating func postfix(_ base: JinjaExpression) throws -> JinjaExpression {
        try chain(base) { parser, value in
            if parser.isOperator(".") || parser.isOperator("[") { return try parser.member(value) }
            return parser.isOperator("(") ? try parser.call(value) : nil
        }
    }

    /// Filters, tests and calls after a unary expression.
    private mutating func filters(on base: JinjaExpression) throws -> JinjaExpression {
        try chain(base) { parser, value in
            if parser.isOperator("|") { return try parser.filter(on: value, line: parser.next().line) }
            if parser.isName("is") { return try parser.test(value) }
            return parser.isOperator("(") ? try parser.call(value) : nil
        }
    }

    /// `name(arguments)` after a `|` (or in a filter block's tag).
    private mutating func filter(on value: JinjaExpression, line: Int) throws -> JinjaExpression {
        let name = try dottedName()
        guard JinjaFilters.all[name] != nil else { throw JinjaError(.syntax, "no filter named '\(name)'", line: line) }
        let arguments = isOperator("(") ? try callArguments() : JinjaCallArguments()
        return JinjaExpression(kind: .filter(value, name, arguments), line: line)
    }

    private mutating func dottedName() throws -> String {
        var name = try expectName()
        while skip(operator: ".") { name += "." + (try expectName()) }
        return name
    }

    private mutating func test(_ value: JinjaExpression) throws -> JinjaExpression {
        let line = next().line
        let negated = skip(name: "not")
        let name = try dottedName()
        guard JinjaPredicates.all[name] != nil else { throw JinjaError(.syntax, "no test named '\(name)'", line: line) }
        var arguments = JinjaCallArguments()
        if isOperator("(") {
            arguments = try callArguments()
        } else if startsArgument, !isName("else"), !isName("or"), !isName("and") {
            if isName("is") { throw failure("you cannot chain multiple tests with is") }
            arguments.positional = [try postfix(try primary())]
        }
        let result = JinjaExpression(kind: .test(value, name, arguments), line: line)
        return negated ? JinjaExpression(kind: .not(result), line: line) : result
    }

    /// Whether the current token can start a test's one argument written without parentheses (`is divisibleby 3`).
    private var startsArgument: Bool {
        switch current.kind {
        case .name, .string, .integer, .float: return true
        case .operator(let op): return op == "(" || op == "[" || op == "{"
        default: return false
        }
    }

    private mutating func member(_ value: JinjaExpression) throws -> JinjaExpression {
        let token = next()
        if token.kind == .operator(".") {
            let member = next()
            switch member.kind {
            case .name(let name): return JinjaExpression(kind: .attribute(value, name), line: token.line)
            case .integer(let i):
                return JinjaExpression(kind: .item(value, JinjaExpression(kind: .integer(i), line: member.line)), line: token.line)
            default: throw failure("expected a name or a number after '.', got \(member.described)", member)
            }
        }
        var items: [JinjaExpression] = []
        while !skip(operator: "]") {
            if !items.isEmpty { try expect(operator: ",") }
            items.append(try subscribed(value, line: token.line))
        }
        guard let first = items.first else { throw failure("expected a subscript", token) }
        if items.count == 1, case .slice = first.kind { return first }
        if items.contains(where: { if case .slice = $0.kind { return true } else { return false } }) {
            throw failure("a slice cannot be part of a tuple subscript", token)
        }
        let key = items.count == 1 ? first : JinjaExpression(kind: .tuple(items), line: token.line)
        return JinjaExpression(kind: .item(value, key), line: token.line)
    }

    /// One item of `[…]`: an expression, or a slice `start:stop:step` of `value`.
    private mutating func subscribed(_ value: JinjaExpression, line: Int) throws -> JinjaExpression {
        var start: JinjaExpression?
        if !isOperator(":") {
            let key = try expression()
            guard isOperator(":") else { return key }
            start = key
        }
        index += 1
        let ends = { (parser: JinjaParser) in parser.isOperator("]") || parser.isOperator(",") || parser.isOperator(":") }
        let stop = ends(self) ? nil : try expression()
        var step: JinjaExpression?
        if skip(operator: ":") && !isOperator("]") && !isOperator(",") { step = try expression() }
        return JinjaExpression(kind: .slice(value, start: start, stop: stop, step: step), line: line)
    }

    private mutating func call(_ callee: JinjaExpression) throws -> JinjaExpression {
        let line = current.line
        return JinjaExpression(kind: .call(callee, try callArguments()), line: line)
    }

    /// `(positional, …, name=value, …)` with at most one `*sequence` (after the positional arguments) and one
    /// `**mapping` (last), as jinja2 parses them.
    private mutating func callArguments() throws -> JinjaCallArguments {
        let open = current
        try expect(operator: "(")
        var arguments = JinjaCallArguments()
        var first = true
        let ensure = { (valid: Bool) throws in
            guard valid else { throw JinjaError(.syntax, "invalid syntax for function call expression", line: open.line) }
        }
        while !skip(operator: ")") {
            if !first {
                try expect(operator: ",")
                if skip(operator: ")") { break }
            }
            first = false
            if skip(operator: "*") {
                try ensure(arguments.sequence == nil && arguments.mapping == nil)
                arguments.sequence = try expression()
            } else if skip(operator: "**") {
                try ensure(arguments.mapping == nil)
                arguments.mapping = try expression()
            } else if case .name(let name) = current.kind, isOperator("=", peek()) {
                try ensure(arguments.mapping == nil)
                index += 2
                arguments.keywords.append((name, try expression()))
            } else {
                try ensure(arguments.sequence == nil && arguments.mapping == nil && arguments.keywords.isEmpty)
                arguments.positional.append(try expression())
            }
        }
        return arguments
    }
}
