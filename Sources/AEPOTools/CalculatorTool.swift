/// `python`: a sandboxed calculator for the arithmetic subset of Python described in
/// `CalculatorParser` — it parses and evaluates the text itself and never runs real code.
///
/// Semantics are Python 3's: integers are exact (`//` floors, `%` takes the divisor's sign),
/// `/` gives a float, `**` with a negative exponent gives a float, `round` ties to even, floats
/// print as `repr` does. Built-ins: `abs`, `min`, `max` (two or more arguments), `round(x[, n])`,
/// `int`, `float`, `pow(a, b)`; variables by assignment (`x = 3`); a variable named like a built-in shadows it
/// (`print = 3` makes `print(1)` a `TypeError`, as in Python).
///
/// Output: the lines written by `print(...)` statements; a program without `print` shows the value
/// of its last line when that line is an expression (as a notebook cell would). An error stops
/// the program; the output so far is followed by the error line, worded like Python's
/// (`ZeroDivisionError: division by zero`, `NameError: name 'x' is not defined`).
///
/// Limits (each answered with an error text): `maxInputCharacters` of source, `maxDepth` nesting
/// levels (a parenthesis costs two: one for the expression, one for the factor it sits in), integers of `maxIntegerBits` bits (so `2**10**10` fails at once instead of computing),
/// `maxOutputCharacters` of output. With no loops in the language, the work of a program is
/// bounded by its length times the cost of one operation on the largest allowed integer.
public struct CalculatorTool: Tool {
    public let name = "python"
    public let kind = ToolKind.calculator
    public let maxInputCharacters: Int
    public let maxDepth: Int
    public let maxIntegerBits: Int
    public let maxOutputCharacters: Int

    public init(maxInputCharacters: Int = 2000, maxDepth: Int = 100, maxIntegerBits: Int = 4096, maxOutputCharacters: Int = 2000) {
        self.maxInputCharacters = maxInputCharacters
        self.maxDepth = maxDepth
        self.maxIntegerBits = maxIntegerBits
        self.maxOutputCharacters = maxOutputCharacters
    }

    public func call(_ input: String) -> String {
        run(input).truncated(to: maxOutputCharacters)
    }

    private func run(_ input: String) -> String {
        if input.count > maxInputCharacters {
            return "Error: program too long (\(input.count) characters; the calculator accepts at most \(maxInputCharacters))."
        }
        let source = Self.strippingCodeFence(input)
        let statements: [CalculatorStatement]
        do {
            var parser = CalculatorParser(maxDepth: maxDepth)
            statements = try parser.parse(source)
        } catch {
            return (error as? CalculatorError)?.text ?? "SyntaxError: invalid syntax"
        }
        var evaluator = Evaluator(arithmetic: CalculatorArithmetic(maxIntegerBits: maxIntegerBits))
        var printed: [String] = []
        var lastValue: CalculatorValue?
        for statement in statements {
            do {
                lastValue = nil
                switch statement {
                case .assignment(let name, let expression):
                    evaluator.variables[name] = try evaluator.evaluate(expression)
                case .print(let arguments):
                    printed.append(try evaluator.printedLine(arguments))
                case .expression(let expression):
                    lastValue = try evaluator.evaluate(expression)
                }
            } catch {
                let text = (error as? CalculatorError)?.text ?? "Error: evaluation failed"
                return (printed + [text]).joined(separator: "\n")
            }
        }
        if !printed.isEmpty { return printed.joined(separator: "\n") }
        if let lastValue { return lastValue.represented }
        return "(no output: end the program with an expression or print(...))"
    }

    /// Drops a surrounding Markdown code fence (```` ```python … ``` ````), which models often write.
    static func strippingCodeFence(_ input: String) -> String {
        var lines = input.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while let first = lines.first, first.trimmedWhitespace.isEmpty { lines.removeFirst() }
        while let last = lines.last, last.trimmedWhitespace.isEmpty { lines.removeLast() }
        guard let first = lines.first, first.trimmedWhitespace.hasPrefix("```"),
              lines.count >= 2, lines.last!.trimmedWhitespace == "```" else { return input }
        return lines.dropFirst().dropLast().joined(separator: "\n")
    }

    /// Evaluates expressions against the program's variables.
    private struct Evaluator {
        let arithmetic: CalculatorArithmetic
        var variables: [String: CalculatorValue] = [:]

        func evaluate(_ expression: CalculatorExpression) throws -> CalculatorValue {
            switch expression {
            case .number(let value):
                if case .int(let integer) = value { return try arithmetic.checked(integer) }
                return value
            case .variable(let name):
                guard let value = variables[name] else { throw CalculatorError("NameError: name '\(name)' is not defined") }
                return value
            case .unary(let op, let operand):
                let value = try evaluate(operand)
                return op == "-" ? try arithmetic.negate(value) : try arithmetic.plus(value)
            case .chain(let first, let rest):
                var value = try evaluate(first)
                for (op, operand) in rest {
                    value = try arithmetic.binary(op, value, try evaluate(operand))
                }
                return value
            case .power(let base, let exponent):
                let lhs = try evaluate(base)
                return try arithmetic.binary("**", lhs, try evaluate(exponent))
            case .call(let name, let arguments):
                return try call(name, arguments)
            }
        }

        /// The line `print(arguments)` writes.
        func printedLine(_ arguments: [CalculatorExpression]) throws -> String {
            let values = try arguments.map(evaluate)
            try checkNotShadowed("print")
            return values.map(\.printed).joined(separator: " ")
        }

        /// A variable named like a built-in shadows it, as in Python: calling it is calling its value.
        private func checkNotShadowed(_ name: String) throws {
            if let value = variables[name] { throw CalculatorError("TypeError: '\(value.typeName)' object is not callable") }
        }

        private func call(_ name: String, _ arguments: [CalculatorExpression]) throws -> CalculatorValue {
            if variables[name] != nil {
                _ = try arguments.map(evaluate)  // Python evaluates the arguments before it finds the callee is no function
                try checkNotShadowed(name)
            }
            func values(_ range: ClosedRange<Int>) throws -> [CalculatorValue] {
                guard range.contains(arguments.count) else {
                    let expected = range.lowerBound == range.upperBound ? "exactly \(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
                    throw CalculatorError("TypeError: \(name)() takes \(expected) argument\(range.upperBound == 1 ? "" : "s") (\(arguments.count) given)")
                }
                return try arguments.map(evaluate)
            }
            switch name {
            case "abs": return try arithmetic.abs(values(1...1)[0])
            case "min", "max": return try arithmetic.extreme(name, values(0...Int.max))
            case "round":
                let given = try values(1...2)
                return try arithmetic.round(given[0], digits: given.count == 2 ? given[1] : nil)
            case "int": return try arithmetic.integer(values(1...1)[0])
            case "float": return try arithmetic.float(values(1...1)[0])
            case "pow":
                let given = try values(2...2)
                return try arithmetic.binary("**", given[0], given[1])
            case "print":
                throw CalculatorError("SyntaxError: print(...) must be a statement on a line of its own")
            default:
                throw CalculatorError("NameError: name '\(name)' is not defined")
            }
        }
    }
}
