/// The arguments of a call, a filter or a test, bound to parameters as Python binds them: by position, else by keyword.
public struct JinjaArguments {
    public var positional: [JinjaValue]
    public var keywords: [(name: String, value: JinjaValue)]

    public init(_ positional: [JinjaValue] = [], keywords: [(name: String, value: JinjaValue)] = []) {
        self.positional = positional
        self.keywords = keywords
    }

    /// The keyword arguments as a dictionary, in the order given.
    var keywordDictionary: JinjaDictionary {
        var dictionary = JinjaDictionary()
        for (name, value) in keywords { dictionary[name] = value }
        return dictionary
    }

    /// The argument of parameter `name`, the `index`-th one (0-based); nil when not given.
    public func value(_ index: Int, _ name: String) -> JinjaValue? {
        if index < positional.count { return positional[index] }
        return keywords.last { $0.name == name }?.value
    }

    /// Throws unless every argument names one of `parameters` (by position or keyword), so a misspelt keyword is an
    /// error as it is in Python.
    func check(_ function: String, parameters: [String]) throws {
        guard positional.count <= parameters.count else {
            throw JinjaError.runtime("\(function)() takes at most \(parameters.count) arguments (\(positional.count) given)")
        }
        if let unknown = keywords.first(where: { !parameters.contains($0.name) }) {
            throw JinjaError.runtime("\(function)() got an unexpected keyword argument '\(unknown.name)'")
        }
    }
}
