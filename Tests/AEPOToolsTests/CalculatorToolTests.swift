import AEPOCore
import XCTest
@testable import AEPOTools

final class CalculatorToolTests: XCTestCase {
    let calculator = CalculatorTool()

    /// Asserts that each program prints its expected output.
    private func assertOutputs(_ cases: [(program: String, output: String)], line: UInt = #line) {
        for (program, output) in cases {
            XCTAssertEqual(calculator.call(program), output, program, line: line)
        }
    }

    /// Expected outputs are what CPython 3.11 prints for `repr(eval(expression))`.
    func testMatchesPythonOnArithmetic() {
        assertOutputs([
            ("1+2*3", "7"), ("2**10", "1024"), ("-2**2", "-4"), ("2**-1", "0.5"), ("7/2", "3.5"), ("7//2", "3"),
            ("-7//2", "-4"), ("-7%2", "1"), ("7%-2", "-1"), ("-7.5//2", "-4.0"), ("7.5%-2", "-0.5"),
            ("0.1+0.2", "0.30000000000000004"), ("1e16", "1e+16"), ("1e15*1.0", "1000000000000000.0"),
            ("0.0001*1", "0.0001"), ("1/3", "0.3333333333333333"), ("10/4", "2.5"),
            ("2**100", "1267650600228229401496703205376"), ("3**40*7-1", "85103658213398501606"),
            ("(2**64+1)//3", "6148914691236517205"), ("-(2**70)//7", "-168655945816773043347"), ("-(2**70)%7", "5"),
            ("10**30//(10**15+7)", "999999999999993"), ("10**30%(10**15+7)", "49"),
            ("(10**40+12345)//(10**20-3)", "100000000000000000003"),
            ("round(2.5)", "2"), ("round(3.5)", "4"), ("round(-0.5)", "0"), ("round(2.675,2)", "2.67"),
            ("round(1234,-2)", "1200"), ("round(1250,-2)", "1200"), ("round(1350,-2)", "1400"), ("round(2.5,0)", "2.0"),
            ("round(1.23456,3)", "1.235"), ("abs(-3)", "3"), ("abs(-2.5)", "2.5"), ("min(3,1,2)", "1"),
            ("max(1,2.0,2)", "2.0"), ("max(2,2.0)", "2"), ("int(-2.7)", "-2"), ("float(3)", "3.0"), ("pow(2,10)", "1024"),
            ("1_000*3", "3000"), ("2*(3+4)*5", "70"), ("100*1.1", "110.00000000000001"), ("1e300*1e10", "inf"),
            ("12345678901234567890*98765432109876543210", "1219326311370217952237463801111263526900"),
            ("3.0", "3.0"), ("-0.0", "-0.0"), ("2**0.5", "1.4142135623730951"), ("(-8)**2", "64"), ("1.5e-7", "1.5e-07"),
            ("123456789.123456789", "123456789.12345679"), ("5%3.0", "2.0"), ("-5//3.0", "-2.0"), ("round(-2.5)", "-2"),
            ("round(0.125,2)", "0.12"), ("round(-1.5)", "-2"),
        ])
    }

    /// Integers beyond 64 bits and their conversions to and from floats; expected values from CPython 3.11.
    func testBigIntegersAndConversionsMatchPython() {
        assertOutputs([
            ("int(1e300)", "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160"),
            ("float(2**1000)", "1.0715086071862673e+301"), ("2**1000/3", "3.5716953572875575e+300"), ("10**400/10**399", "10.0"),
            ("round(1e20)", "100000000000000000000"), ("round(123.456,-1)", "120.0"), ("round(-123.456,1)", "-123.5"),
            ("int(2.5e15)", "2500000000000000"), ("2**1000//3**600", "571798263596268"),
            ("-(3**700)%(2**500+1)", "2473383490130956930778058656821616230043617731362812936877992992476858896943791544070466043245992833371383918447722398199696600690173967239114058274221"),
            ("(2**200)*1.5", "2.4104070663884854e+60"), ("abs(-2**100)", "1267650600228229401496703205376"),
            ("min(2**100, 1e30)", "1e+30"), ("max(-5, -5.0)", "-5"), ("2**62*4", "18446744073709551616"),
            ("-(2**63)", "-9223372036854775808"), ("9007199254740993/1", "9007199254740992.0"),
            ("(2**53+1)*1.0", "9007199254740992.0"), ("7**-2", "0.02040816326530612"), ("(-2)**-3", "-0.125"), ("0**0", "1"),
            ("0.0**0", "1.0"), ("(-1)**(10**20)", "1"), ("1**(10**30)", "1"), ("-2**63//-1", "9223372036854775808"),
            ("0/-5", "-0.0"), ("10**30/7", "1.4285714285714285e+29"), ("-1/3", "-0.3333333333333333"),
            ("(2**1100)/(2**90)", "1.0972248137587377e+304"),
            ("(2**1100)/(2**60)", "OverflowError: integer division result too large for a float"),
        ])
    }

    /// `repr(float)` at the edges of Python's positional/exponent switch; expected strings from CPython.
    func testFloatReprMatchesPython() {
        let cases: [(Double, String)] = [
            (5e-324, "5e-324"), (1.7976931348623157e+308, "1.7976931348623157e+308"), (1e22, "1e+22"), (0.1, "0.1"),
            (1e-4, "0.0001"), (9999999999999998.0, "9999999999999998.0"), (1e16, "1e+16"), (123.0, "123.0"), (0.5e-4, "5e-05"),
            (2.5e-5, "2.5e-05"), (1.0 / 7.0, "0.14285714285714285"), (100.0, "100.0"), (1234567890123456.7, "1234567890123456.8"),
            (-0.0, "-0.0"), (-2.5e-5, "-2.5e-05"), (.infinity, "inf"), (-.infinity, "-inf"), (.nan, "nan"),
        ]
        for (value, expected) in cases {
            XCTAssertEqual(PythonFloatFormat.repr(value), expected)
        }
    }

    func testErrorsReadLikePython() {
        assertOutputs([
            ("1/0", "ZeroDivisionError: division by zero"),
            ("1.0/0", "ZeroDivisionError: float division by zero"),
            ("1//0", "ZeroDivisionError: integer division or modulo by zero"),
            ("1%0", "ZeroDivisionError: integer modulo by zero"),
            ("1.0//0", "ZeroDivisionError: float floor division by zero"),
            ("1.0%0", "ZeroDivisionError: float modulo"),
            ("0**-1", "ZeroDivisionError: 0.0 cannot be raised to a negative power"),
            ("10.0**400", "OverflowError: (34, 'Numerical result out of range')"),
            ("min(3)", "TypeError: 'int' object is not iterable"),
            ("x + 1", "NameError: name 'x' is not defined"),
            ("007", "SyntaxError: leading zeros in decimal integer literals are not permitted"),
            ("1 +", "SyntaxError: unexpected end of input"),
            ("(1 + 2", "SyntaxError: '(' was never closed"),
            ("1 + 2)", "SyntaxError: unmatched ')'"),
            ("2 3", "SyntaxError: invalid syntax"),
            ("float(10**400)", "OverflowError: int too large to convert to float"),
        ])
    }

    func testPrintAssignmentsAndMultipleLines() {
        XCTAssertEqual(calculator.call("print(2 + 3)"), "5")
        XCTAssertEqual(calculator.call("x = 1200\ny = 3.5\nx * y"), "4200.0")
        XCTAssertEqual(calculator.call("a = 7; b = 2\nprint(a // b, a % b)\nprint('ratio:', a / b)"), "3 1\nratio: 3.5")
        XCTAssertEqual(calculator.call("total = (1 +\n   2)\nprint(total)  # a comment"), "3")
        XCTAssertEqual(calculator.call("```python\nprint(6 * 7)\n```"), "42")
        XCTAssertEqual(calculator.call("x = 5"), "(no output: end the program with an expression or print(...))")
        XCTAssertEqual(calculator.call("print(1)\nprint(1/0)"), "1\nZeroDivisionError: division by zero")
        XCTAssertEqual(calculator.call("'abc'"), "TypeError: strings are only supported as print() arguments")
    }

    /// String escapes decode as in Python; expected outputs are what CPython 3.11 prints.
    func testStringEscapesMatchPython() {
        assertOutputs([
            (#"print("\x41\u0042\U00000043")"#, "ABC"),
            (#"print('\N{LATIN SMALL LETTER A}\N{em dash}')"#, "a—"),
            (#"print("\101\1010")"#, "AA0"),
            (#"print("a\qb", "it\'s", "x\\y", "tab\tend")"#, "a\\qb it's x\\y tab\tend"),
            ("print(\"a\\\nb\")", "ab"),
            (#"print("\x4")"#, #"SyntaxError: (unicode error) 'unicodeescape' codec can't decode bytes in position 0-2: truncated \xXX escape"#),
            (#"print("é\x4g")"#, #"SyntaxError: (unicode error) 'unicodeescape' codec can't decode bytes in position 10-12: truncated \xXX escape"#),
            (#"print("\u12")"#, #"SyntaxError: (unicode error) 'unicodeescape' codec can't decode bytes in position 0-3: truncated \uXXXX escape"#),
            (#"print("\U00110000")"#, #"SyntaxError: (unicode error) 'unicodeescape' codec can't decode bytes in position 0-9: illegal Unicode character"#),
            (#"print("\N{nope}")"#, #"SyntaxError: (unicode error) 'unicodeescape' codec can't decode bytes in position 0-7: unknown Unicode character name"#),
            (#"print("\N{}")"#, #"SyntaxError: (unicode error) 'unicodeescape' codec can't decode bytes in position 0-2: malformed \N character escape"#),
            (#"print("\N")"#, #"SyntaxError: (unicode error) 'unicodeescape' codec can't decode bytes in position 0-1: malformed \N character escape"#),
        ])
    }

    /// A variable named like a built-in shadows it, as in Python (whose outputs these are).
    func testAssigningToABuiltInNameShadowsIt() {
        assertOutputs([
            ("print = 3\nprint(2)", "TypeError: 'int' object is not callable"),
            ("abs = 3\nabs(-2)", "TypeError: 'int' object is not callable"),
            ("print = 3\nprint(1/0)", "ZeroDivisionError: division by zero"),
            ("print = 3\nprint * 2", "6"),
            ("round = 2.5\nprint(round)\nround(2)", "2.5\nTypeError: 'float' object is not callable"),
        ])
    }

    func testAdversarialInputsFailFastWithText() {
        let start = Date()
        XCTAssertTrue(calculator.call("2**10**10").hasPrefix("OverflowError: integer result too large"))
        XCTAssertTrue(calculator.call("9**9**9").hasPrefix("OverflowError: integer result too large"))
        XCTAssertTrue(calculator.call("(10**1000)*(10**1000)").hasPrefix("OverflowError"))
        XCTAssertTrue(calculator.call(String(repeating: "(", count: 500) + "1" + String(repeating: ")", count: 500))
            .hasPrefix("SyntaxError: expression nested too deeply"))
        XCTAssertTrue(calculator.call(String(repeating: "-", count: 1500) + "1").hasPrefix("SyntaxError: expression nested too deeply"))
        XCTAssertTrue(calculator.call(String(repeating: "1+", count: 5000) + "1").hasPrefix("Error: program too long (10001 characters"))
        XCTAssertEqual(calculator.call("__import__('os')"), "NameError: name '__import__' is not defined")
        XCTAssertTrue(calculator.call("import os").hasPrefix("SyntaxError: 'import' is not supported"))
        XCTAssertTrue(calculator.call("open('/etc/passwd').read()").hasPrefix("SyntaxError: '.' is not supported"))
        XCTAssertEqual(calculator.call("2 × 3"), "SyntaxError: invalid character '×' (U+00D7)")
        XCTAssertTrue(calculator.call("\u{202E}1+1").hasPrefix("SyntaxError: invalid character"))
        XCTAssertTrue(calculator.call("💣").hasPrefix("SyntaxError: invalid character '💣' (U+1F4A3)"))
        XCTAssertTrue(calculator.call("[1, 2]").hasPrefix("SyntaxError: '[' is not supported"))
        XCTAssertTrue(calculator.call("lambda: 1").hasPrefix("SyntaxError: 'lambda' is not supported"))
        // The largest allowed integer still works, one more bit does not.
        XCTAssertEqual(calculator.call("2**4095 // 2**4094"), "2")
        XCTAssertTrue(calculator.call("2**4096").hasPrefix("OverflowError"))
        // A long but legal program of big-integer work stays fast.
        let heavy = Array(repeating: "x = 3**2500 // 7**900 % 10**600", count: 40).joined(separator: "\n") + "\nx % 1000"
        XCTAssertFalse(calculator.call(heavy).contains("Error"))
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    }

    func testNestingLimitAndSmallStacks() {
        XCTAssertEqual(calculator.call(String(repeating: "(", count: 45) + "1" + String(repeating: ")", count: 45)), "1")
        XCTAssertEqual(calculator.call(String(repeating: "(", count: 55) + "1" + String(repeating: ")", count: 55)),
                       "SyntaxError: expression nested too deeply")
        // The deepest accepted programs also run on a thread with a small (512 KiB) stack.
        let deepest = [
            String(repeating: "(", count: 49) + "1" + String(repeating: ")", count: 49),
            String(repeating: "-", count: 97) + "1",
            Array(repeating: "2", count: 99).joined(separator: "**"),
        ]
        let done = expectation(description: "evaluated on a small stack")
        /// Written by the thread before it fulfils `done`, read after the wait.
        final class Results: @unchecked Sendable { var outputs: [String] = [] }
        let results = Results()
        let thread = Thread {
            results.outputs = deepest.map { CalculatorTool(maxIntegerBits: 64).call($0) }
            done.fulfill()
        }
        thread.stackSize = 512 * 1024
        thread.start()
        wait(for: [done], timeout: 30)
        let outputs = results.outputs
        XCTAssertEqual(outputs.count, 3)
        XCTAssertEqual(outputs.first, "1")
        XCTAssertEqual(outputs.dropFirst().first, "-1")
        XCTAssertEqual(outputs.last?.hasPrefix("OverflowError: integer result too large"), true)
    }

    func testOutputIsBounded() {
        let small = CalculatorTool(maxOutputCharacters: 50)
        let output = small.call("10**200")
        XCTAssertTrue(output.hasPrefix("1" + String(repeating: "0", count: 49) + "\n"))
        XCTAssertTrue(output.hasSuffix("[... truncated: showing 50 of 201 characters]"))
    }

    /// Division identities on random big integers: `(a // b) * b + a % b == a`, `0 ≤ |a % b| < |b|`
    /// with the sign of `b` (checked through the calculator's own arithmetic on exact integers).
    func testBigIntegerDivisionIdentities() {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<200 {
            let a = Self.bigLiteral(maxDigits: 120, &generator)
            let b = Self.bigLiteral(maxDigits: 60, &generator)
            let identity = calculator.call("a = \(a)\nb = \(b)\n(a // b) * b + a % b - a")
            XCTAssertEqual(identity, "0", "\(a) divmod \(b)")
            let bound = calculator.call("a = \(a)\nb = \(b)\nmin(abs(b) - abs(a % b), 1)")
            XCTAssertEqual(bound, "1", "\(a) % \(b)")
        }
    }

    /// A random non-zero integer literal of up to `maxDigits` digits, parenthesised, maybe negated.
    static func bigLiteral(maxDigits: Int, _ generator: inout SeededGenerator) -> String {
        let count = Int.random(in: 1...maxDigits, using: &generator)
        var digits = String(Int.random(in: 1...9, using: &generator))
        for _ in 1..<count { digits += String(Int.random(in: 0...9, using: &generator)) }
        return (Bool.random(using: &generator) ? "-" : "") + "(" + digits + ")"
    }
}
