/// One token of a template, with the line it starts on.
struct JinjaToken: Equatable, Sendable {
    enum Kind: Equatable, Sendable {
        /// Text outside tags, after whitespace control.
        case text(String)
        case variableBegin, variableEnd, blockBegin, blockEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        case `operator`(String)
        case end
    }

    var kind: Kind
    var line: Int

    /// How an error message names the token (jinja2's wording: "end of statement block", "'name'").
    var described: String {
        switch kind {
        case .text: return "template data"
        case .variableBegin: return "begin of print statement"
        case .variableEnd: return "end of print statement"
        case .blockBegin: return "begin of statement block"
        case .blockEnd: return "end of statement block"
        case .name(let n): return "'\(n)'"
        case .string: return "string"
        case .integer, .float: return "number"
        case .operator(let o): return "'\(o)'"
        case .end: return "end of template"
        }
    }
}
