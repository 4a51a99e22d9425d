import AEPOTools

/// A question's prompt, opened once on the backend: every trajectory of the question (roots, fresh
/// roots, a pre-monitoring run) starts as a fork of it, so the prompt is prefilled once per question.
public struct OpenPrompt: Sendable {
    public let questionIndex: Int
    public let question: Question
    public let tokens: [Int]
    public let sequence: SequenceHandle
}
