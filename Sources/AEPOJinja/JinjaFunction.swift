/// A callable value: a global such as `raise_exception` or `namespace`, a loop's `cycle`, a macro, or a loop itself
/// (`loop(children)` in a recursive loop), with the attributes a template can read (`loop.index`).
public struct JinjaFunction {
    public let name: String
    /// What `function.name` reads (a loop's `index`, `first`, `cycle`, …).
    public var attributes: JinjaDictionary
    let body: (JinjaArguments) throws -> JinjaValue

    public init(name: String, attributes: JinjaDictionary = JinjaDictionary(), body: @escaping (JinjaArguments) throws -> JinjaValue) {
        self.name = name
        self.attributes = attributes
        self.body = body
    }

    public func callAsFunction(_ arguments: JinjaArguments) throws -> JinjaValue {
        try body(arguments)
    }
}
