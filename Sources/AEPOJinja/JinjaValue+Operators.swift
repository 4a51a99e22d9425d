import Foundation

/// Python's operators on template values: arithmetic, ordering, `in`, subscripts, slices and attribute lookup.
extension JinjaValue {
    /// The value itself, or the error its `Undefined` stands for.
    func defined() throws -> JinjaValue {
        if case .undefined(let hint) = self { throw JinjaError.runtime(hint) }
        return self
    }

    /// `a op b` for `+ - * / // % **`.
    static func arithmetic(_ op: String, _ left: JinjaValue, _ right: JinjaValue) throws -> JinjaValue {
        let a = try left.defined(), b = try right.defined()
        if let x = a.integer, let y = b.integer {
            return try integerArithmetic(op, x, y)
        }
        if let x = a.number, let y = b.number {
            return try floatArithmetic(op, x, y)
        }
        switch (op, a, b) {
        case ("%", .string(let format), _): return .string(try PythonFormat.format(format, b))
        case ("+", .string(let x), .string(let y)): return .string(x + y)
        case ("+", .list(let x), .list(let y)): return .list(x + y)
        case ("+", .tuple(let x, _), .tuple(let y, _)): return .tuple(x + y)
        case ("*", .string(let s), _) where b.integer != nil: return .string(String(repeating: s, count: max(0, b.integer!)))
        case ("*", _, .string(let s)) where a.integer != nil: return .string(String(repeating: s, count: max(0, a.integer!)))
        case ("*", .list(let items), _) where b.integer != nil: return .list(repeated(items, b.integer!))
        case ("*", _, .list(let items)) where a.integer != nil: return .list(repeated(items, a.integer!))
        case ("+", .string, _), ("+", .list, _), ("+", .tuple, _):
            throw JinjaError.runtime("can only concatenate \(a.typeName) (not \"\(b.typeName)\") to \(a.typeName)")
        default:
            throw JinjaError.runtime("unsupported operand type(s) for \(op): '\(a.typeName)' and '\(b.typeName)'")
        }
    }

    private static func repeated(_ items: [JinjaValue], _ count: Int) -> [JinjaValue] {
        Array([[JinjaValue]](repeating: items, count: max(0, count)).joined())
    }

    private static func integerArithmetic(_ op: String, _ x: Int, _ y: Int) throws -> JinjaValue {
        func checked(_ result: (partialValue: Int, overflow: Bool)) throws -> JinjaValue {
            guard !result.overflow else { throw JinjaError.runtime("integer overflow in \(x) \(op) \(y)") }
            return .integer(result.partialValue)
        }
        switch op {
        case "+": return try checked(x.addingReportingOverflow(y))
        case "-": return try checked(x.subtractingReportingOverflow(y))
        case "*": return try checked(x.multipliedReportingOverflow(by: y))
        case "/":
            guard y != 0 else { throw JinjaError.runtime("division by zero") }
            return .float(Double(x) / Double(y))
        case "//", "%":
            guard y != 0 else { throw JinjaError.runtime("integer division or modulo by zero") }
            var quotient = x / y, remainder = x % y
            if remainder != 0 && (remainder < 0) != (y < 0) {
                quotient -= 1
                remainder += y
            }
            return .integer(op == "//" ? quotient : remainder)
        default:
            guard y >= 0 else { return .float(pow(Double(x), Double(y))) }
            var result = 1
            for _ in 0..<y {
                let (product, overflow) = result.multipliedReportingOverflow(by: x)
                guard !overflow else { throw JinjaError.runtime("integer overflow in \(x) ** \(y)") }
                result = product
            }
            return .integer(result)
        }
    }

    private static func floatArithmetic(_ op: String, _ x: Double, _ y: Double) throws -> JinjaValue {
        switch op {
        case "+": return .float(x + y)
        case "-": return .float(x - y)
        case "*": return .float(x * y)
        case "**": return .float(pow(x, y))
        default:
            guard y != 0 else { throw JinjaError.runtime("float division by zero") }
            if op == "/" { return .float(x / y) }
            var remainder = fmod(x, y)
            if remainder != 0 && (remainder < 0) != (y < 0) { remainder += y }
            return .float(op == "//" ? ((x - remainder) / y).rounded() : remainder)
        }
    }

    /// Python's ordering: -1, 0 or 1 for numbers, strings (by code point), and lists or tuples (item by item).
    static func order(_ left: JinjaValue, _ right: JinjaValue, _ op: String) throws -> Int {
        let a = try left.defined(), b = try right.defined()
        if let x = a.number, let y = b.number { return x < y ? -1 : x > y ? 1 : 0 }
        switch (a, b) {
        case (.string(let x), .string(let y)):
            return PythonString.precedes(x, y) ? -1 : PythonString.precedes(y, x) ? 1 : 0
        case (.list(let x), .list(let y)), (.tuple(let x, _), .tuple(let y, _)):
            for (p, q) in zip(x, y) where !p.equals(q) { return try order(p, q, op) }
            return x.count < y.count ? -1 : x.count > y.count ? 1 : 0
        default:
            throw JinjaError.runtime("'\(op)' not supported between instances of '\(a.typeName)' and '\(b.typeName)'")
        }
    }

    /// Python's `item in self`.
    func contains(_ item: JinjaValue) throws -> Bool {
        switch self {
        case .undefined: return false
        case .string(let s):
            guard case .string(let needle) = try item.defined() else {
                throw JinjaError.runtime("'in <string>' requires string as left operand, not \(item.typeName)")
            }
            return needle.isEmpty || s.unicodeScalars.firstRange(of: needle.unicodeScalars) != nil
        case .list(let items), .tuple(let items, _): return items.contains { $0.equals(item) }
        case .dictionary(let d):
            if case .string(let key) = item { return d[key] != nil }
            return false
        default: throw JinjaError.runtime("argument of type '\(typeName)' is not iterable")
        }
    }

    /// `self.name`: a dictionary's item, a named tuple's field or a namespace's or function's attribute; `Undefined` when
    /// there is none.
    func attribute(_ name: String) throws -> JinjaValue {
        switch try defined() {
        case .dictionary(let d): return d[name] ?? .undefined(hint: "'dict object' has no attribute '\(name)'")
        case .tuple(let items, let fields) where fields.contains(name): return items[fields.firstIndex(of: name)!]
        case .namespace(let n): return n.attributes[name] ?? .undefined(hint: "'Namespace object' has no attribute '\(name)'")
        case .function(let f): return f.attributes[name] ?? .undefined(hint: "'\(f.name)' has no attribute '\(name)'")
        default: return .undefined(hint: "'\(typeName) object' has no attribute '\(name)'")
        }
    }

    /// `self[key]`: Python's indexing (negative from the end), or jinja2's attribute for a name (a named tuple's field);
    /// `Undefined` when there is no such item.
    func item(_ key: JinjaValue) throws -> JinjaValue {
        let missing = JinjaValue.undefined(hint: "'\(typeName) object' has no element \(key.repr)")
        switch try defined() {
        case .dictionary(let d):
            guard case .string(let name) = key else { return missing }
            return d[name] ?? .undefined(hint: "'dict object' has no attribute '\(name)'")
        case .namespace, .function:
            guard case .string(let name) = key else { return missing }
            return try attribute(name)
        case .tuple(_, let fields) where !fields.isEmpty && key.integer == nil:
            guard case .string(let name) = key else { return missing }
            return try attribute(name)
        case .list(let items), .tuple(let items, _):
            guard let i = key.integer.flatMap({ JinjaValue.index($0, count: items.count) }) else { return missing }
            return items[i]
        case .string(let s):
            let scalars = Array(s.unicodeScalars)
            guard let i = key.integer.flatMap({ JinjaValue.index($0, count: scalars.count) }) else { return missing }
            return .string(String(scalars[i]))
        default:
            return missing
        }
    }

    private static func index(_ i: Int, count: Int) -> Int? {
        let j = i < 0 ? i + count : i
        return (0..<count).contains(j) ? j : nil
    }

    /// `self[start:stop:step]` with Python's bounds (missing ends, negative indices, clamping).
    func slice(start: Int?, stop: Int?, step: Int?) throws -> JinjaValue {
        let step = step ?? 1
        guard step != 0 else { throw JinjaError.runtime("slice step cannot be zero") }
        func indices(_ count: Int) -> [Int] {
            func adjust(_ value: Int?, _ missing: Int) -> Int {
                guard var v = value else { return missing }
                if v < 0 {
                    v += count
                    if v < 0 { v = step < 0 ? -1 : 0 }
                } else if v >= count {
                    v = step < 0 ? count - 1 : count
                }
                return v
            }
            let first = adjust(start, step < 0 ? count - 1 : 0), end = adjust(stop, step < 0 ? -1 : count)
            return Array(stride(from: first, to: end, by: step))
        }
        switch try defined() {
        case .list(let items): return .list(indices(items.count).map { items[$0] })
        case .tuple(let items, _): return .tuple(indices(items.count).map { items[$0] })
        case .string(let s):
            let scalars = Array(s.unicodeScalars)
            return .string(PythonString.string(indices(scalars.count).map { scalars[$0] }))
        default: throw JinjaError.runtime("'\(typeName)' object is not subscriptable")
        }
    }
}
