import Foundation

/// A value of the calculator's Python subset: an integer of bounded size, a float, or a string
/// (strings only exist to be printed).
enum CalculatorValue: Equatable {
    case int(BigInteger)
    case float(Double)
    case text(String)

    /// Python's type name, for error messages.
    var typeName: String {
        switch self {
        case .int: return "int"
        case .float: return "float"
        case .text: return "str"
        }
    }

    /// `str(value)`: what `print` writes.
    var printed: String {
        switch self {
        case .int(let value): return value.description
        case .float(let value): return PythonFloatFormat.repr(value)
        case .text(let value): return value
        }
    }

    /// `repr(value)`: what a final bare expression shows.
    var represented: String {
        if case .text(let value) = self { return "'" + value + "'" }
        return printed
    }
}

/// Python's arithmetic on `CalculatorValue`s, with integers bounded to `maxIntegerBits` bits.
struct CalculatorArithmetic {
    var maxIntegerBits: Int

    func negate(_ value: CalculatorValue) throws -> CalculatorValue {
        switch value {
        case .int(let a): return .int(-a)
        case .float(let a): return .float(-a)
        case .text: throw CalculatorError("TypeError: bad operand type for unary -: 'str'")
        }
    }

    func plus(_ value: CalculatorValue) throws -> CalculatorValue {
        if case .text = value { throw CalculatorError("TypeError: bad operand type for unary +: 'str'") }
        return value
    }

    func binary(_ op: String, _ lhs: CalculatorValue, _ rhs: CalculatorValue) throws -> CalculatorValue {
        switch (lhs, rhs) {
        case (.int(let a), .int(let b)):
            return try integers(op, a, b)
        case (.text, _), (_, .text):
            throw CalculatorError("TypeError: unsupported operand type(s) for \(op): '\(lhs.typeName)' and '\(rhs.typeName)'")
        default:
            return .float(try floats(op, try toDouble(lhs), try toDouble(rhs)))
        }
    }

    func toDouble(_ value: CalculatorValue) throws -> Double {
        switch value {
        case .float(let a): return a
        case .int(let a):
            guard let double = a.doubleValue else { throw CalculatorError("OverflowError: int too large to convert to float") }
            return double
        case .text: throw CalculatorError("TypeError: must be real number, not str")
        }
    }

    func checked(_ value: BigInteger) throws -> CalculatorValue {
        guard value.bitWidth <= maxIntegerBits else { throw tooLarge }
        return .int(value)
    }

    private var tooLarge: CalculatorError {
        CalculatorError("OverflowError: integer result too large (the calculator's limit is \(maxIntegerBits) bits)")
    }

    private func integers(_ op: String, _ a: BigInteger, _ b: BigInteger) throws -> CalculatorValue {
        switch op {
        case "+": return try checked(a + b)
        case "-": return try checked(a - b)
        case "*":
            if a.bitWidth + b.bitWidth > maxIntegerBits + 1 { throw tooLarge }
            return try checked(a * b)
        case "/":
            if b.isZero { throw CalculatorError("ZeroDivisionError: division by zero") }
            return .float(try trueDivision(a, b))
        case "//":
            if b.isZero { throw CalculatorError("ZeroDivisionError: integer division or modulo by zero") }
            return .int(a.flooredDivision(by: b).quotient)
        case "%":
            if b.isZero { throw CalculatorError("ZeroDivisionError: integer modulo by zero") }
            return .int(a.flooredDivision(by: b).remainder)
        default:  // "**"
            if b.isNegative {
                guard let base = a.doubleValue, let exponent = b.doubleValue else {
                    throw CalculatorError("OverflowError: int too large to convert to float")
                }
                return .float(try floats("**", base, exponent))
            }
            if a.isZero || a == BigInteger(1) { return .int(b.isZero ? BigInteger(1) : a) }
            if a == BigInteger(-1) { return .int(b.flooredDivision(by: BigInteger(2)).remainder.isZero ? BigInteger(1) : a) }
            guard let exponent = b.intValue,
                  Double(exponent) * log2(a.magnitude.doubleValue ?? .infinity) < Double(maxIntegerBits) else { throw tooLarge }
            return try checked(a.power(exponent))
        }
    }

    /// `a / b` for integers, correctly rounded like Python's: the magnitudes are scaled so the
    /// integer quotient has 55–56 bits, a sticky bit records a non-zero remainder, and one
    /// conversion to `Double` then rounds once.
    private func trueDivision(_ a: BigInteger, _ b: BigInteger) throws -> Double {
        let x = a.magnitude, y = b.magnitude
        let negative = a.isNegative != b.isNegative
        if x.isZero { return negative ? -0.0 : 0.0 }
        let shift = 55 + y.bitWidth - x.bitWidth
        let scale = BigInteger(2).power(Swift.abs(shift))
        let (quotient, remainder) = shift >= 0 ? (x * scale).flooredDivision(by: y) : x.flooredDivision(by: y * scale)
        var bits = UInt64(quotient.intValue!)
        if !remainder.isZero { bits |= 1 }
        let result = Double(sign: negative ? .minus : .plus, exponent: -shift, significand: Double(bits))
        if !result.isFinite { throw CalculatorError("OverflowError: integer division result too large for a float") }
        return result
    }

    private func floats(_ op: String, _ a: Double, _ b: Double) throws -> Double {
        switch op {
        case "+": return a + b
        case "-": return a - b
        case "*": return a * b
        case "/":
            if b == 0 { throw CalculatorError("ZeroDivisionError: float division by zero") }
            return a / b
        case "//":
            if b == 0 { throw CalculatorError("ZeroDivisionError: float floor division by zero") }
            return Self.floatDivMod(a, b).quotient
        case "%":
            if b == 0 { throw CalculatorError("ZeroDivisionError: float modulo") }
            return Self.floatDivMod(a, b).remainder
        default:  // "**"
            if a == 0 && b < 0 { throw CalculatorError("ZeroDivisionError: 0.0 cannot be raised to a negative power") }
            if a < 0 && b.isFinite && b != b.rounded() {
                throw CalculatorError("ValueError: complex results are not supported (a negative number to a fractional power)")
            }
            let result = Foundation.pow(a, b)
            if result.isInfinite && a.isFinite && b.isFinite {
                throw CalculatorError("OverflowError: (34, 'Numerical result out of range')")
            }
            return result
        }
    }

    /// Python's float `divmod`: floor quotient, remainder with the divisor's sign.
    static func floatDivMod(_ a: Double, _ b: Double) -> (quotient: Double, remainder: Double) {
        var remainder = fmod(a, b)
        var division = (a - remainder) / b
        if remainder != 0 {
            if (b < 0) != (remainder < 0) {
                remainder += b
                division -= 1
            }
        } else {
            remainder = Double(signOf: b, magnitudeOf: 0)
        }
        var quotient: Double
        if division != 0 {
            quotient = division.rounded(.down)
            if division - quotient > 0.5 { quotient += 1 }
        } else {
            quotient = Double(signOf: a / b, magnitudeOf: 0)
        }
        return (quotient, remainder)
    }

    // MARK: Built-in functions

    func abs(_ value: CalculatorValue) throws -> CalculatorValue {
        switch value {
        case .int(let a): return .int(a.magnitude)
        case .float(let a): return .float(Swift.abs(a))
        case .text: throw CalculatorError("TypeError: bad operand type for abs(): 'str'")
        }
    }

    /// `min`/`max` of two or more numbers; the first of equal extremes wins, as in Python.
    func extreme(_ name: String, _ values: [CalculatorValue]) throws -> CalculatorValue {
        if values.isEmpty { throw CalculatorError("TypeError: \(name) expected at least 1 argument, got 0") }
        if values.count == 1 { throw CalculatorError("TypeError: '\(values[0].typeName)' object is not iterable") }
        var best = values[0]
        for value in values.dropFirst() {
            let better = name == "min" ? try less(value, best) : try less(best, value)
            if better { best = value }
        }
        return best
    }

    private func less(_ lhs: CalculatorValue, _ rhs: CalculatorValue) throws -> Bool {
        switch (lhs, rhs) {
        case (.int(let a), .int(let b)): return a < b
        case (.text, _), (_, .text):
            throw CalculatorError("TypeError: '<' not supported between instances of '\(lhs.typeName)' and '\(rhs.typeName)'")
        default:
            return approximateDouble(lhs) < approximateDouble(rhs)
        }
    }

    private func approximateDouble(_ value: CalculatorValue) -> Double {
        switch value {
        case .float(let a): return a
        case .int(let a): return a.doubleValue ?? (a.isNegative ? -.infinity : .infinity)
        case .text: return .nan
        }
    }

    /// Python's `round(x)` (an int, ties to even) and `round(x, n)` (same type as `x`). Floats with
    /// `n ≥ 0` round the exact binary value half to even, as Python does; with `n < 0` they round
    /// `x / 10^-n` half to even and scale back, which can differ from Python in the last bit.
    func round(_ value: CalculatorValue, digits: CalculatorValue?) throws -> CalculatorValue {
        var places: Int?
        switch digits {
        case nil: places = nil
        case .int(let n)?: places = n.intValue ?? (n.isNegative ? -100_000 : 100_000)
        case let other?: throw CalculatorError("TypeError: '\(other.typeName)' object cannot be interpreted as an integer")
        }
        switch value {
        case .text: throw CalculatorError("TypeError: type str doesn't define __round__ method")
        case .int(let a):
            guard let places, places < 0 else { return value }
            if -places > maxIntegerBits { return .int(BigInteger(0)) }
            let unit = BigInteger(10).power(-places)
            let (quotient, remainder) = a.flooredDivision(by: unit)
            let twice = remainder + remainder
            let up = unit < twice || (twice == unit && !quotient.flooredDivision(by: BigInteger(2)).remainder.isZero)
            return try checked((up ? quotient + BigInteger(1) : quotient) * unit)
        case .float(let a):
            guard let places else {
                if a.isNaN { throw CalculatorError("ValueError: cannot convert float NaN to integer") }
                if a.isInfinite { throw CalculatorError("OverflowError: cannot convert float infinity to integer") }
                return try checked(BigInteger(exactly: a.rounded(.toNearestOrEven))!)
            }
            if !a.isFinite || places > 323 { return value }
            if places < -308 { return .float(Double(signOf: a, magnitudeOf: 0)) }
            if places >= 0 {
                // printf rounds the exact binary value half-to-even, as Python's round does.
                return .float(Double(String(format: "%.\(places)f", a)) ?? a)
            }
            let unit = Foundation.pow(10.0, Double(-places))
            let result = (a / unit).rounded(.toNearestOrEven) * unit
            if !result.isFinite { throw CalculatorError("OverflowError: rounded value too large to represent") }
            return .float(result)
        }
    }

    /// Python's `int(x)`: floats truncate toward zero.
    func integer(_ value: CalculatorValue) throws -> CalculatorValue {
        switch value {
        case .int: return value
        case .float(let a):
            if a.isNaN { throw CalculatorError("ValueError: cannot convert float NaN to integer") }
            if a.isInfinite { throw CalculatorError("OverflowError: cannot convert float infinity to integer") }
            return try checked(BigInteger(exactly: a.rounded(.towardZero))!)
        case .text(let text):
            guard let parsed = BigInteger(decimalDigits: text.trimmingCharacters(in: .whitespaces)) else {
                throw CalculatorError("ValueError: invalid literal for int() with base 10: '\(text)'")
            }
            return try checked(parsed)
        }
    }

    /// Python's `float(x)`.
    func float(_ value: CalculatorValue) throws -> CalculatorValue {
        if case .text(let text) = value {
            guard let parsed = Double(text.trimmingCharacters(in: .whitespaces)) else {
                throw CalculatorError("ValueError: could not convert string to float: '\(text)'")
            }
            return .float(parsed)
        }
        return .float(try toDouble(value))
    }
}
