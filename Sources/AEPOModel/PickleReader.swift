import AEPOCore

/// A restricted unpickler for the `data.pkl` of a `torch.save` state dict. It understands the opcodes that such a pickle
/// uses at protocol 2 (torch.save's default) and 3 (the same opcodes), and at 4 and 5 (`pickle_protocol=4`: frames,
/// short and 8-byte-length strings, MEMOIZE, STACK_GLOBAL), and only the globals of `PickleValue.Global`: an
/// `OrderedDict`, and tensors rebuilt from the archive's storages (`_rebuild_tensor_v2`, `_rebuild_parameter`,
/// float32, float16 and bfloat16 storages). It builds `PickleValue`s and never imports or calls anything; any other
/// global, opcode or call is an error naming the file, the pickle's byte and what was found.
struct PickleReader {
    private let bytes: [UInt8]
    /// The archive, and the pickle's entry in it, named in errors.
    private let source: String
    private let entry: String
    private var position = 0
    private var stack: [PickleValue] = []
    /// The stacks under each open MARK, as Python's unpickler keeps them: a MARK starts an empty stack.
    private var metastack: [[PickleValue]] = []
    private var memo: [Int: PickleValue] = [:]
    /// Where the opcode being run starts.
    private var opcodeStart = 0

    /// The value pickled in `bytes`, the entry `entry` of the archive `source`.
    static func read(_ bytes: [UInt8], entry: String, source: String) throws -> PickleValue {
        var reader = PickleReader(bytes: bytes, source: source, entry: entry)
        return try reader.run()
    }

    private init(bytes: [UInt8], source: String, entry: String) {
        self.bytes = bytes
        self.source = source
        self.entry = entry
    }

    private func error(_ message: String) -> InputError {
        InputError("\(entry), byte \(opcodeStart): \(message)", source: source)
    }

    private mutating func run() throws -> PickleValue {
        while position < bytes.count {
            opcodeStart = position
            let opcode = try byte()
            switch opcode {
            case 0x80:  // PROTO
                let version = try byte()
                guard version <= 5 else { throw error("pickle protocol \(version); protocols 2 to 5 are supported") }
            case 0x95:  // FRAME: the length of the opcodes that follow, read as they come (as Python's C unpickler does)
                _ = try length(8)
            case UInt8(ascii: "."):  // STOP
                return try pop()
            case UInt8(ascii: "("):  // MARK
                metastack.append(stack)
                stack = []
            case UInt8(ascii: ")"): stack.append(.tuple([], depth: 1))  // EMPTY_TUPLE
            case UInt8(ascii: "]"): stack.append(.list(PickleValue.List()))  // EMPTY_LIST
            case UInt8(ascii: "}"): stack.append(.dict(PickleValue.Dict()))  // EMPTY_DICT
            case UInt8(ascii: "N"): stack.append(.none)  // NONE
            case 0x88: stack.append(.bool(true))  // NEWTRUE
            case 0x89: stack.append(.bool(false))  // NEWFALSE
            case UInt8(ascii: "K"): stack.append(.int(Int(try integer(1))))  // BININT1
            case UInt8(ascii: "M"): stack.append(.int(Int(try integer(2))))  // BININT2
            case UInt8(ascii: "J"): stack.append(.int(Int(Int32(truncatingIfNeeded: try integer(4)))))  // BININT
            case 0x8A: stack.append(.int(try long(Int(try byte()))))  // LONG1
            case 0x8C: stack.append(try string(length: try length(1)))  // SHORT_BINUNICODE
            case UInt8(ascii: "X"): stack.append(try string(length: try length(4)))  // BINUNICODE
            case 0x8D: stack.append(try string(length: try length(8)))  // BINUNICODE8
            case UInt8(ascii: "c"): stack.append(.global(try global()))  // GLOBAL
            case 0x93:  // STACK_GLOBAL
                let name = try pop(), module = try pop()
                guard case .string(let moduleName) = module, case .string(let globalName) = name else {
                    throw error("STACK_GLOBAL of \(module.typeName) and \(name.typeName), expected a module name and a name (str)")
                }
                stack.append(.global(try resolve(moduleName, globalName)))
            case UInt8(ascii: "q"): memo[Int(try integer(1))] = try top()  // BINPUT
            case UInt8(ascii: "r"): memo[Int(try integer(4))] = try top()  // LONG_BINPUT
            case 0x94: memo[memo.count] = try top()  // MEMOIZE
            case UInt8(ascii: "h"): stack.append(try memoized(Int(try integer(1))))  // BINGET
            case UInt8(ascii: "j"): stack.append(try memoized(Int(try integer(4))))  // LONG_BINGET
            case UInt8(ascii: "t"): stack.append(try tuple(try popMark()))  // TUPLE
            case 0x85, 0x86, 0x87:  // TUPLE1, TUPLE2, TUPLE3
                let items = try (0..<Int(opcode - 0x84)).map { _ in try pop() }
                stack.append(try tuple(items.reversed()))
            // The items are taken off the stack before the container on top of it is read.
            case UInt8(ascii: "a"):  // APPEND
                let item = try pop()
                try append([item])
            case UInt8(ascii: "e"):  // APPENDS
                let items = try popMark()
                try append(items)
            case UInt8(ascii: "s"):  // SETITEM
                let value = try pop(), key = try pop()
                try set([key, value])
            case UInt8(ascii: "u"):  // SETITEMS
                let items = try popMark()
                try set(items)
            case UInt8(ascii: "R"):  // REDUCE
                let arguments = try pop(), callable = try pop()
                stack.append(try call(callable, arguments))
            case UInt8(ascii: "b"):  // BUILD
                let state = try pop()
                // An OrderedDict's state is its attributes (a state dict's `_metadata` of module versions): not needed.
                guard case .dict = try top() else {
                    throw error("BUILD of \(try top().typeName) with \(state.typeName) is not part of a state dict")
                }
            case UInt8(ascii: "Q"): stack.append(try storage(try pop()))  // BINPERSID
            default:
                throw error("opcode 0x\(String(opcode, radix: 16, uppercase: true)) is not one a torch.save state dict uses")
            }
        }
        throw InputError("\(entry) ends (at byte \(bytes.count)) before its STOP opcode: truncated", source: source)
    }

    // MARK: Operands

    private mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count <= bytes.count - position else { throw truncated() }
        defer { position += count }
        return bytes[position..<position + count]
    }

    private func truncated() -> InputError {
        InputError("\(entry) ends (at byte \(bytes.count)) inside the opcode at byte \(opcodeStart): truncated", source: source)
    }

    private mutating func byte() throws -> UInt8 { try take(1).first! }

    /// A little-endian unsigned integer of `count` bytes (at most 8).
    private mutating func integer(_ count: Int) throws -> UInt64 {
        try take(count).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// A length of `count` bytes that the pickle's remaining bytes must hold.
    private mutating func length(_ count: Int) throws -> Int {
        let value = try integer(count)
        guard value <= UInt64(bytes.count - position) else { throw truncated() }
        return Int(value)
    }

    /// A UTF-8 string of `length` bytes.
    private mutating func string(length: Int) throws -> PickleValue {
        guard let string = String(validating: try take(length), as: UTF8.self) else { throw error("a string that is not UTF-8") }
        return .string(string)
    }

    /// LONG1's operand: a little-endian two's complement integer of `count` bytes.
    private mutating func long(_ count: Int) throws -> Int {
        let digits = try take(count)
        guard count <= 8 else { throw error("an integer of \(count) bytes, larger than 64 bits") }
        guard let last = digits.last else { return 0 }
        // Starting from all ones for a negative number sign-extends it.
        let fill: UInt64 = last & 0x80 != 0 ? .max : 0
        return Int(truncatingIfNeeded: digits.reversed().reduce(fill) { $0 << 8 | UInt64($1) })
    }

    /// GLOBAL's operand, `module\nname\n`, if it names one of the allowed globals.
    private mutating func global() throws -> PickleValue.Global {
        func line() throws -> String {
            guard let end = bytes[position...].firstIndex(of: UInt8(ascii: "\n")) else {
                throw InputError("\(entry) ends (at byte \(bytes.count)) inside the GLOBAL at byte \(opcodeStart): truncated", source: source)
            }
            defer { position = end + 1 }
            return String(decoding: bytes[position..<end], as: UTF8.self)
        }
        return try resolve(try line(), try line())
    }

    /// The global `module.name`, if it is one of the allowed globals.
    private func resolve(_ module: String, _ name: String) throws -> PickleValue.Global {
        let name = "\(module).\(name)"
        if let global = PickleValue.Global(rawValue: name) { return global }
        let storages = PickleValue.Global.allCases.filter { $0.storageType != nil }.map(\.rawValue).joined(separator: ", ")
        if name.hasPrefix("torch."), name.hasSuffix("Storage") {
            throw error("tensor storage type '\(name)' is not supported (supported: \(storages): float32, float16, bfloat16)")
        }
        throw error("refused the global '\(name)': a state dict's pickle may name only "
                    + PickleValue.Global.allCases.map(\.rawValue).joined(separator: ", ") + "; nothing in the file is imported or run")
    }

    // MARK: Stack

    private mutating func pop() throws -> PickleValue {
        guard let value = stack.popLast() else { throw error("the pickle's stack is empty (corrupt)") }
        return value
    }

    private func top() throws -> PickleValue {
        guard let value = stack.last else { throw error("the pickle's stack is empty (corrupt)") }
        return value
    }

    /// The values pushed since the last MARK, which is removed.
    private mutating func popMark() throws -> [PickleValue] {
        guard let below = metastack.popLast() else { throw error("no MARK to close (corrupt)") }
        defer { stack = below }
        return stack
    }

    private func memoized(_ index: Int) throws -> PickleValue {
        guard let value = memo[index] else { throw error("no value memoized at \(index) (corrupt)") }
        return value
    }

    // MARK: Containers

    /// Checks that `items` may go inside a container, which freezes the lists and dicts among them, and returns the
    /// container's depth.
    private func nest(_ items: [PickleValue]) throws -> Int {
        let depth = 1 + (items.map(\.depth).max() ?? 0)
        guard depth <= PickleValue.maximumDepth else {
            throw error("values nested more than \(PickleValue.maximumDepth) deep, which no state dict is")
        }
        for item in items {
            if case .list(let list) = item { list.isNested = true }
            if case .dict(let dict) = item { dict.isNested = true }
        }
        return depth
    }

    private func tuple(_ items: [PickleValue]) throws -> PickleValue {
        .tuple(items, depth: try nest(items))
    }

    /// APPEND(S): `items` added to the list on top of the stack.
    private func append(_ items: [PickleValue]) throws {
        guard case .list(let list) = try top() else { throw error("appending to \(try top().typeName), not a list") }
        let depth = try nest(items)
        guard !list.isNested else { throw error("appending to a list that is already inside another value") }
        list.items += items
        list.depth = max(list.depth, depth)
    }

    /// SETITEM(S): the keys and values alternating in `items` set in the dict on top of the stack.
    private func set(_ items: [PickleValue]) throws {
        guard case .dict(let dict) = try top() else { throw error("setting an item of \(try top().typeName), not a dict") }
        guard items.count % 2 == 0 else { throw error("setting items from an odd number (\(items.count)) of keys and values") }
        let depth = try nest(items)
        guard !dict.isNested else { throw error("setting an item of a dict that is already inside another value") }
        for i in stride(from: 0, to: items.count, by: 2) { dict.items.append((items[i], items[i + 1])) }
        dict.depth = max(dict.depth, depth)
    }

    // MARK: Calls

    /// REDUCE: the value an allowed global builds from `arguments`, without running anything.
    private func call(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        guard case .global(let global) = callable else { throw error("calling \(callable.typeName), which is not callable") }
        guard case .tuple(let items, _) = arguments else { throw error("calling \(global.rawValue) with \(arguments.typeName), not a tuple") }
        switch (global, items.count) {
        case (.orderedDict, 0):
            return .dict(PickleValue.Dict())
        case (.rebuildTensor, 6):
            guard case .storage(let storage) = items[0], case .int(let offset) = items[1], let shape = integers(items[2]),
                  let strides = integers(items[3]), case .bool = items[4], case .dict = items[5] else { break }
            return .tensor(PickleValue.Tensor(storage: storage, offset: offset, shape: shape, strides: strides))
        case (.rebuildParameter, 3):
            guard case .tensor = items[0], case .bool = items[1], case .dict = items[2] else { break }
            return items[0]
        default:
            break
        }
        let expected: String
        switch global {
        case .orderedDict: expected = "()"
        case .rebuildTensor: expected = "(storage, offset, size, stride, requires_grad, backward_hooks)"
        case .rebuildParameter: expected = "(tensor, requires_grad, backward_hooks)"
        case .floatStorage, .halfStorage, .bfloat16Storage: throw error("calling \(global.rawValue), a storage type")
        }
        throw error("calling \(global.rawValue) with (\(items.map(\.typeName).joined(separator: ", "))), expected \(expected)")
    }

    private func integers(_ value: PickleValue) -> [Int]? {
        guard case .tuple(let items, _) = value else { return nil }
        var integers: [Int] = []
        for item in items {
            guard case .int(let n) = item else { return nil }
            integers.append(n)
        }
        return integers
    }

    /// BINPERSID: torch.save's persistent id of a storage, `("storage", storage type, key, location, element count)`.
    private func storage(_ id: PickleValue) throws -> PickleValue {
        guard case .tuple(let items, _) = id, items.count == 5, case .string("storage") = items[0], case .global(let type) = items[1],
              case .string(let key) = items[2], case .string = items[3], case .int(let count) = items[4] else {
            throw error("persistent id \(id.typeName), expected (\"storage\", storage type, key, location, element count)")
        }
        guard let dtype = type.storageType else { throw error("persistent id of a storage of type \(type.rawValue)") }
        guard count >= 0 else { throw error("storage '\(key)' of \(count) elements") }
        return .storage(PickleValue.Storage(key: key, dtype: dtype, count: count))
    }
}
