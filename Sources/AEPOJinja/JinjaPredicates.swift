/// The tests (`value is name(arguments)`) of jinja2, with Python's notions of each type (`bool` is a number but not
/// an integer; `Undefined` is iterable).
enum JinjaPredicates {
    typealias Test = @Sendable (JinjaValue, JinjaArguments) throws -> Bool

    static let all: [String: Test] = {
        var tests: [String: Test] = [
            "defined": { value, _ in !value.isUndefined },
            "undefined": { value, _ in value.isUndefined },
            "none": { value, _ in if case .none = value { return true } else { return false } },
            "boolean": { value, _ in if case .boolean = value { return true } else { return false } },
            "true": { value, _ in if case .boolean(true) = value { return true } else { return false } },
            "false": { value, _ in if case .boolean(false) = value { return true } else { return false } },
            "integer": { value, _ in if case .integer = value { return true } else { return false } },
            "float": { value, _ in if case .float = value { return true } else { return false } },
            "number": { value, _ in value.number != nil },
            "string": { value, _ in if case .string = value { return true } else { return false } },
            "mapping": { value, _ in if case .dictionary = value { return true } else { return false } },
            "iterable": { value, _ in
                switch value {
                case .undefined, .string, .list, .tuple, .dictionary: return true
                default: return false
                }
            },
            "sequence": { value, _ in
                switch value {
                case .undefined, .string, .list, .tuple, .dictionary: return true
                default: return false
                }
            },
            "callable": { value, _ in if case .function = value { return true } else { return false } },
            "odd": { value, _ in try integer(value, "odd") % 2 != 0 },
            "even": { value, _ in try integer(value, "even") % 2 == 0 },
            "divisibleby": { value, args in
                guard let divisor = args.value(0, "num")?.integer, divisor != 0 else {
                    throw JinjaError.runtime("divisibleby needs a non-zero integer")
                }
                return try integer(value, "divisibleby") % divisor == 0
            },
            "lower": { value, _ in value.text == value.text.lowercased() && value.text != value.text.uppercased() },
            "upper": { value, _ in value.text == value.text.uppercased() && value.text != value.text.lowercased() },
            "sameas": { value, args in
                let other = try argument(args, "sameas")
                switch (value, other) {
                case (.namespace(let a), .namespace(let b)): return a === b
                case (.none, .none), (.undefined, .undefined): return true
                case (.boolean(let a), .boolean(let b)): return a == b
                default: return false
                }
            },
            "eq": { value, args in value.equals(try argument(args, "eq")) },
            "ne": { value, args in !value.equals(try argument(args, "ne")) },
            "lt": { value, args in try JinjaValue.order(value, try argument(args, "lt"), "<") < 0 },
            "le": { value, args in try JinjaValue.order(value, try argument(args, "le"), "<=") <= 0 },
            "gt": { value, args in try JinjaValue.order(value, try argument(args, "gt"), ">") > 0 },
            "ge": { value, args in try JinjaValue.order(value, try argument(args, "ge"), ">=") >= 0 },
            "in": { value, args in try argument(args, "in").contains(value) },
            "filter": { value, _ in if case .string(let name) = value { return JinjaFilters.all[name] != nil } else { return false } },
            "test": { value, _ in if case .string(let name) = value { return all[name] != nil } else { return false } },
        ]
        for (alias, name) in [("equalto", "eq"), ("==", "eq"), ("!=", "ne"), ("lessthan", "lt"), ("<", "lt"), ("<=", "le"),
                              ("greaterthan", "gt"), (">", "gt"), (">=", "ge")] {
            tests[alias] = tests[name]
        }
        return tests
    }()

    private static func integer(_ value: JinjaValue, _ test: String) throws -> Int {
        guard let i = try value.defined().integer else { throw JinjaError.runtime("the '\(test)' test needs an integer, got \(value.typeName)") }
        return i
    }

    private static func argument(_ args: JinjaArguments, _ test: String) throws -> JinjaValue {
        guard let other = args.positional.first ?? args.keywords.first?.value else {
            throw JinjaError.runtime("the '\(test)' test needs a value to compare with")
        }
        return other
    }
}
