/// Why a JSON value is not a token id of a vocabulary: "token ids must be integers in 0..<V, found 1.5".
public struct TokenIDError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

extension JSONValue {
    /// The value as a token id: an integer in `0..<vocabularySize` (not 1.5, not 2⁶³, not a string).
    public func tokenID(vocabularySize: Int) throws(TokenIDError) -> Int {
        if let id = intValue, id >= 0, id < vocabularySize { return id }
        let found: String
        switch self {
        case .integer(let value): found = String(value)
        case .number(let value): found = "\(value)"
        default: found = typeName
        }
        throw TokenIDError(description: "token ids must be integers in 0..<\(vocabularySize), found \(found)")
    }
}
