/// A callable value: a global such as `raise_exception` or `namespace`, a loop's `cycle`, or a macro.
public struct JinjaFunction {
    public let name: String
    let body: (JinjaArguments) throws -> JinjaValue

    public init(name: String, body: @escaping (JinjaArguments) throws -> JinjaValue) {
        self.name = name
        self.body = body
    }

    public func callAsFunction(_ arguments: JinjaArguments) throws -> JinjaValue {
        try body(arguments)
    }
}
