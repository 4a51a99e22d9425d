/// The calculator's language: a tiny subset of Python.
///
///     program    := statement (NEWLINE | ';') statement …
///     statement  := NAME '=' expression | 'print' '(' [argument (',' argument)*] ')' | expression
///     expression := term (('+' | '-') term)*
///     term       := factor (('*' | '/' | '//' | '%') factor)*
///     factor     := ('+' | '-') factor | power
///     power      := atom ['**' factor]                    (so -2**2 == -4 and 2**-1 == 0.5)
///     atom       := NUMBER | NAME | NAME '(' [expression (',' expression)*] ')' | '(' expression ')'
///
/// Numbers are Python literals (`12`, `1_000`, `3.5`, `.5`, `1e-3`); strings (`CalculatorStringLiteral`) appear
/// only as `print` arguments; `#` starts a comment; newlines inside parentheses are ignored.
indirect enum CalculatorExpression: Equatable {
    case number(CalculatorValue)
    case variable(String)
    case unary(String, CalculatorExpression)
    /// A left-associative run `first op1 e1 op2 e2 …`, kept flat so evaluation does not recurse on it.
    case chain(CalculatorExpression, [(op: String, operand: CalculatorExpression)])
    case power(CalculatorExpression, CalculatorExpression)
    case call(String, [CalculatorExpression])

    static func == (lhs: CalculatorExpression, rhs: CalculatorExpression) -> Bool {
        switch (lhs, rhs) {
        case (.number(let a), .number(let b)): return a == b
        case (.variable(let a), .variable(let b)): return a == b
        case (.unary(let o, let a), .unary(let p, let b)): return o == p && a == b
        case (.chain(let a, let xs), .chain(let b, let ys)):
            return a == b && xs.count == ys.count && zip(xs, ys).allSatisfy { $0.op == $1.op && $0.operand == $1.operand }
        case (.power(let a, let x), .power(let b, let y)): return a == b && x == y
        case (.call(let f, let xs), .call(let g, let ys)): return f == g && xs == ys
        default: return false
        }
    }
}

enum CalculatorStatement: Equatable {
    case assignment(String, CalculatorExpression)
    case print([CalculatorExpression])
    case expression(CalculatorExpression)
}

/// Turns calculator source into statements; every problem is a `SyntaxError` text.
struct CalculatorParser {
    enum Token: Equatable {
        case number(CalculatorValue)
        case name(String)
        case text(String)
        case symbol(String)
        case newline
    }

    /// Python keywords and constants the calculator does not support.
    static let unsupportedWords: Set<String> = [
        "import", "from", "def", "class", "lambda", "for", "while", "if", "else", "elif", "return",
        "with", "as", "try", "except", "finally", "raise", "del", "global", "nonlocal", "assert",
        "yield", "async", "await", "pass", "break", "continue", "in", "is", "not", "and", "or",
        "True", "False", "None",
    ]

    static let supportedSummary = "numbers, + - * / // % **, parentheses, abs, min, max, round, int, float, pow, variables and print()"

    let maxDepth: Int
    private var tokens: [Token] = []
    private var position = 0
    private var depth = 0

    init(maxDepth: Int) {
        self.maxDepth = maxDepth
    }

    mutating func parse(_ source: String) throws -> [CalculatorStatement] {
        tokens = try Self.tokenize(source)
        position = 0
        var statements: [CalculatorStatement] = []
        while position < tokens.count {
            if tokens[position] == .newline { position += 1; continue }
            statements.append(try statement())
            guard position == tokens.count || tokens[position] == .newline else { throw Self.invalidSyntax }
        }
        return statements
    }

    static let invalidSyntax = CalculatorError("SyntaxError: invalid syntax")

    private var current: Token? { position < tokens.count ? tokens[position] : nil }

    private mutating func accept(_ symbol: String) -> Bool {
        guard current == .symbol(symbol) else { return false }
        position += 1
        return true
    }

    private mutating func expect(_ symbol: String) throws {
        guard accept(symbol) else {
            if symbol == ")" && current == nil { throw CalculatorError("SyntaxError: '(' was never closed") }
            throw Self.invalidSyntax
        }
    }

    private mutating func statement() throws -> CalculatorStatement {
        if case .name(let name)? = current, position + 1 < tokens.count, tokens[position + 1] == .symbol("=") {
            position += 2
            return .assignment(name, try expression())
        }
        if current == .name("print"), position + 1 < tokens.count, tokens[position + 1] == .symbol("(") {
            position += 2
            return .print(try arguments())
        }
        return .expression(try expression())
    }

    private mutating func nested<T>(_ body: (inout CalculatorParser) throws -> T) throws -> T {
        depth += 1
        defer { depth -= 1 }
        guard depth <= maxDepth else {
            throw CalculatorError("SyntaxError: expression nested too deeply")
        }
        return try body(&self)
    }

    private mutating func expression() throws -> CalculatorExpression {
        try nested { parser in
            try parser.chain(operators: ["+", "-"]) { try $0.term() }
        }
    }

    private mutating func term() throws -> CalculatorExpression {
        try chain(operators: ["*", "/", "//", "%"]) { try $0.factor() }
    }

    private mutating func chain(operators: Set<String>, operand: (inout CalculatorParser) throws -> CalculatorExpression) throws -> CalculatorExpression {
        let first = try operand(&self)
        var rest: [(op: String, operand: CalculatorExpression)] = []
        while case .symbol(let op)? = current, operators.contains(op) {
            position += 1
            rest.append((op, try operand(&self)))
        }
        return rest.isEmpty ? first : .chain(first, rest)
    }

    private mutating func factor() throws -> CalculatorExpression {
        try nested { parser in
            if case .symbol(let op)? = parser.current, op == "-" || op == "+" {
                parser.position += 1
                return .unary(op, try parser.factor())
            }
            let base = try parser.atom()
            if parser.accept("**") { return .power(base, try parser.factor()) }
            return base
        }
    }

    /// The arguments of a call after its `(`, through the closing `)`; string literals are allowed.
    private mutating func arguments() throws -> [CalculatorExpression] {
        var arguments: [CalculatorExpression] = []
        if accept(")") { return arguments }
        repeat {
            if case .text(let text)? = current {
                position += 1
                arguments.append(.number(.text(text)))
            } else {
                arguments.append(try expression())
            }
        } while accept(",")
        if case .symbol("=")? = current {
            throw CalculatorError("SyntaxError: keyword arguments are not supported")
        }
        try expect(")")
        return arguments
    }

    private mutating func atom() throws -> CalculatorExpression {
        guard let token = current else { throw CalculatorError("SyntaxError: unexpected end of input") }
        position += 1
        switch token {
        case .number(let value):
            return .number(value)
        case .name(let name):
            guard accept("(") else { return .variable(name) }
            return .call(name, try arguments())
        case .symbol("("):
            let inner = try expression()
            try expect(")")
            return inner
        case .text:
            throw CalculatorError("TypeError: strings are only supported as print() arguments")
        default:
            throw Self.invalidSyntax
        }
    }

    // MARK: Tokens

    static func tokenize(_ source: String) throws -> [Token] {
        let characters = Array(source.unicodeScalars)
        var tokens: [Token] = []
        var index = 0
        var parentheses = 0
        func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
        func isNameStart(_ c: Unicode.Scalar) -> Bool { (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" }
        while index < characters.count {
            let c = characters[index]
            if c == " " || c == "\t" || c == "\r" || c == "\u{0C}" { index += 1; continue }
            if c == "#" {
                while index < characters.count && characters[index] != "\n" { index += 1 }
                continue
            }
            if c == "\n" || c == ";" {
                if parentheses == 0 || c == ";" { tokens.append(.newline) }
                index += 1
                continue
            }
            if isDigit(c) || (c == "." && index + 1 < characters.count && isDigit(characters[index + 1])) {
                let (token, next) = try number(characters, from: index)
                tokens.append(token)
                index = next
                continue
            }
            if isNameStart(c) {
                var end = index
                while end < characters.count && (isNameStart(characters[end]) || isDigit(characters[end])) { end += 1 }
                let name = String(String.UnicodeScalarView(characters[index..<end]))
                if unsupportedWords.contains(name) {
                    throw CalculatorError("SyntaxError: '\(name)' is not supported; the calculator only evaluates \(supportedSummary)")
                }
                tokens.append(.name(name))
                index = end
                continue
            }
            if c == "'" || c == "\"" {
                let (text, next) = try CalculatorStringLiteral.read(characters, from: index)
                tokens.append(.text(text))
                index = next
                continue
            }
            let two = index + 1 < characters.count ? String(c) + String(characters[index + 1]) : ""
            if two == "**" || two == "//" {
                tokens.append(.symbol(two))
                index += 2
                continue
            }
            if "+-*/%(),=".unicodeScalars.contains(c) {
                if c == "(" { parentheses += 1 }
                if c == ")" {
                    parentheses -= 1
                    if parentheses < 0 { throw CalculatorError("SyntaxError: unmatched ')'") }
                }
                tokens.append(.symbol(String(c)))
                index += 1
                continue
            }
            if c.isASCII && c.value >= 0x20 && c.value < 0x7F {
                throw CalculatorError("SyntaxError: '\(c)' is not supported; the calculator only evaluates \(supportedSummary)")
            }
            let code = String(c.value, radix: 16, uppercase: true)
            throw CalculatorError("SyntaxError: invalid character '\(c.properties.isWhitespace || c.value < 0x20 ? "?" : String(c))' (U+\(String(repeating: "0", count: max(0, 4 - code.count)) + code))")
        }
        if parentheses > 0 { throw CalculatorError("SyntaxError: '(' was never closed") }
        return tokens
    }

    /// A Python number literal starting at `start`: digits with single `_` separators, an optional
    /// fraction and exponent. Integers become `.int`, anything with `.` or `e` a `.float`.
    private static func number(_ characters: [Unicode.Scalar], from start: Int) throws -> (Token, Int) {
        var index = start
        func digits() throws -> String {
            var result = ""
            while index < characters.count {
                let c = characters[index]
                if c >= "0" && c <= "9" {
                    result.unicodeScalars.append(c)
                } else if c == "_" && !result.isEmpty && index + 1 < characters.count
                            && characters[index + 1] >= "0" && characters[index + 1] <= "9" {
                    // a separator between digits
                } else {
                    break
                }
                index += 1
            }
            return result
        }
        let integerPart = try digits()
        var fraction: String?
        var exponent: String?
        if index < characters.count && characters[index] == "." {
            index += 1
            fraction = try digits()
        }
        if index < characters.count && (characters[index] == "e" || characters[index] == "E") {
            var sign = ""
            var look = index + 1
            if look < characters.count && (characters[look] == "+" || characters[look] == "-") {
                sign = String(characters[look])
                look += 1
            }
            if look < characters.count && characters[look] >= "0" && characters[look] <= "9" {
                index = look
                exponent = sign + (try digits())
            }
        }
        if index < characters.count {
            let c = characters[index]
            if (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" || (c >= "0" && c <= "9") || c == "." {
                throw CalculatorError("SyntaxError: invalid decimal literal")
            }
        }
        if fraction == nil && exponent == nil {
            if integerPart.count > 1 && integerPart.first == "0" && integerPart.contains(where: { $0 != "0" }) {
                throw CalculatorError("SyntaxError: leading zeros in decimal integer literals are not permitted")
            }
            return (.number(.int(BigInteger(decimalDigits: integerPart)!)), index)
        }
        let literal = (integerPart.isEmpty ? "0" : integerPart) + "." + ((fraction ?? "").isEmpty ? "0" : fraction!) + "e" + (exponent ?? "0")
        return (.number(.float(Double(literal) ?? .infinity)), index)
    }
}
