import AEPOTools

/// One SFT demonstration, as stored in `demonstrations.jsonl`: the question and the trajectory
/// the oracle wrote, split into what the policy writes (`model`, trained on) and the `<result>`
/// blocks the tools returned (`environment`, never trained on).
public struct Demonstration: Codable, Equatable, Sendable {
    public var id: String
    public var suite: String
    public var question: String
    public var answers: [String]
    public var style: DemonstrationStyle
    /// Whether the boxed answer is the canonical answer (false for `early-stop`).
    public var correct: Bool
    public var pieces: [Piece]

    /// A stretch of the trajectory and who wrote it.
    public struct Piece: Codable, Equatable, Sendable {
        public enum Role: String, Codable, Sendable { case model, environment }
        public var role: Role
        public var text: String

        public init(role: Role, text: String) {
            self.role = role
            self.text = text
        }
    }

    public init(id: String, suite: String, question: String, answers: [String], style: DemonstrationStyle, correct: Bool, pieces: [Piece]) {
        self.id = id
        self.suite = suite
        self.question = question
        self.answers = answers
        self.style = style
        self.correct = correct
        self.pieces = pieces
    }

    /// The whole trajectory text (everything after the prompt).
    public var text: String { pieces.map(\.text).joined() }

    /// The pieces as the trajectory format checks them.
    public var trajectoryPieces: [TrajectoryPiece] {
        pieces.map { $0.role == .model ? .model($0.text) : .environment($0.text) }
    }
}
