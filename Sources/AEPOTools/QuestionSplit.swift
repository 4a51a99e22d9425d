/// Which part of a suite a question belongs to: training, held-out questions on the training
/// templates, or held-out templates and compositions (out of distribution).
public enum QuestionSplit: String, Codable, CaseIterable, Sendable {
    case train
    case test
    case testOOD = "test-ood"
}
