/// A value as a template sees it: the Python types jinja2 hands templates, with Python's semantics for printing,
/// truth, equality and iteration (strings count and iterate by Unicode code point, as Python's do).
public enum JinjaValue {
    /// jinja2's `Undefined`: a missing variable, attribute or item. It prints as nothing, is false, iterates as empty
    /// and has length 0; doing arithmetic with it, subscripting it or reading its attributes is an error naming `hint`.
    case undefined(hint: String)
    case none
    case boolean(Bool)
    case integer(Int)
    case float(Double)
    case string(String)
    case list([JinjaValue])
    /// A tuple; a named tuple (`groupby`'s `(grouper, list)`) also has `fields`, the names of its items as attributes.
    case tuple([JinjaValue], fields: [String] = [])
    case dictionary(JinjaDictionary)
    case namespace(JinjaNamespace)
    case function(JinjaFunction)

    /// Python's name of the value's type, for error messages.
    public var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .boolean: return "bool"
        case .integer: return "int"
        case .float: return "float"
        case .string: return "str"
        case .list: return "list"
        case .tuple: return "tuple"
        case .dictionary: return "dict"
        case .namespace: return "Namespace"
        case .function: return "function"
        }
    }

    public var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    /// Python's truth value (`Undefined` is false).
    public var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .boolean(let b): return b
        case .integer(let i): return i != 0
        case .float(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .list(let items), .tuple(let items, _): return !items.isEmpty
        case .dictionary(let d): return d.count > 0
        case .namespace, .function: return true
        }
    }

    /// What `{{ value }}` prints: Python's `str` (`None`, `True`, `1.5`, `['a', 1]`), nothing for `Undefined`.
    public var text: String {
        switch self {
        case .undefined: return ""
        case .string(let s): return s
        default: return repr
        }
    }

    /// Python's `repr`, as `str` shows the items of a list or dictionary.
    public var repr: String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case .boolean(let b): return b ? "True" : "False"
        case .integer(let i): return String(i)
        case .float(let d): return JinjaValue.pythonFloat(d)
        case .string(let s): return JinjaValue.pythonRepr(s)
        case .list(let items): return "[" + items.map(\.repr).joined(separator: ", ") + "]"
        case .tuple(let items, _): return items.count == 1 ? "(\(items[0].repr),)" : "(" + items.map(\.repr).joined(separator: ", ") + ")"
        case .dictionary(let d): return "{" + d.items.map { JinjaValue.pythonRepr($0.key) + ": " + $0.value.repr }.joined(separator: ", ") + "}"
        case .namespace(let n): return "<Namespace " + JinjaValue.dictionary(n.attributes).repr + ">"
        case .function(let f): return "<function \(f.name)>"
        }
    }

    /// The items a `for` loop (or `list`) visits: a string's characters, a dictionary's keys; none for `Undefined`.
    public func iterated() throws -> [JinjaValue] {
        switch self {
        case .undefined: return []
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .list(let items), .tuple(let items, _): return items
        case .dictionary(let d): return d.keys.map { .string($0) }
        default: throw JinjaError.runtime("'\(typeName)' object is not iterable")
        }
    }

    /// Python's `len`.
    public func length() throws -> Int {
        switch self {
        case .undefined: return 0
        case .string(let s): return s.unicodeScalars.count
        case .list(let items), .tuple(let items, _): return items.count
        case .dictionary(let d): return d.count
        default: throw JinjaError.runtime("object of type '\(typeName)' has no len()")
        }
    }

    /// The value as a number (`True` is 1), or nil.
    var number: Double? {
        switch self {
        case .boolean(let b): return b ? 1 : 0
        case .integer(let i): return Double(i)
        case .float(let d): return d
        default: return nil
        }
    }

    /// The value as an integer when it is an `int` or a `bool`, as Python's index arithmetic takes it.
    var integer: Int? {
        switch self {
        case .boolean(let b): return b ? 1 : 0
        case .integer(let i): return i
        default: return nil
        }
    }

    /// Python's `==` (numbers compare by value across `bool`, `int` and `float`; lists and tuples never equal).
    public func equals(_ other: JinjaValue) -> Bool {
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let a), .string(let b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case (.list(let a), .list(let b)), (.tuple(let a, _), .tuple(let b, _)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.equals($1) }
        case (.dictionary(let a), .dictionary(let b)):
            return a.count == b.count && a.items.allSatisfy { b[$0.key].map($0.value.equals) ?? false }
        case (.namespace(let a), .namespace(let b)): return a === b
        default:
            if let a = number, let b = other.number { return a == b }
            return false
        }
    }

    /// Python's shortest round-trip `repr` of a float (`1.0`, `1e+16`, `nan`), which Swift's description matches.
    static func pythonFloat(_ d: Double) -> String {
        d.description
    }

    /// Python's `repr` of a string: single quotes unless the text holds a single quote and no double quote.
    static func pythonRepr(_ s: String) -> String {
        let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(scalar) == quote {
                    out += "\\" + String(quote)
                } else if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + String(quote)
    }
}

extension JinjaValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .float(value) }
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
    public init(arrayLiteral elements: JinjaValue...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, JinjaValue)...) {
        var dictionary = JinjaDictionary()
        for (key, value) in elements { dictionary[key] = value }
        self = .dictionary(dictionary)
    }
}

extension String {
    /// The string with zeros in front up to `width` characters (hexadecimal escapes).
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
