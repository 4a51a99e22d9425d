/// One message of a chat: who speaks (`system`, `user`, `assistant`, `tool`, …) and what they say.
public struct ChatMessage: Equatable, Sendable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}
