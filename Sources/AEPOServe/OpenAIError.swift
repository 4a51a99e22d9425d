import AEPOCore
import Hummingbird

/// An error answered in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, with its HTTP status.
public struct OpenAIError: Error, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?

    public init(_ status: HTTPResponse.Status, _ message: String, type: String? = nil, param: String? = nil, code: String? = nil) {
        self.status = status
        self.message = message
        self.type = type ?? Self.defaultType(status)
        self.param = param
        self.code = code
    }

    /// 400 for a request field: names the field.
    public static func invalid(_ param: String, _ message: String) -> OpenAIError {
        OpenAIError(.badRequest, message, param: param, code: "invalid_value")
    }

    public var description: String { "\(status.code) \(type): \(message)" }

    public var json: JSONValue {
        .object(["error": .object([
            "message": .string(message), "type": .string(type),
            "param": param.map(JSONValue.string) ?? .null, "code": code.map(JSONValue.string) ?? .null,
        ])])
    }

    private static func defaultType(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 404: return "not_found_error"
        case 413: return "invalid_request_error"
        case 429: return "rate_limit_error"
        case 500...: return "server_error"
        default: return "invalid_request_error"
        }
    }
}
