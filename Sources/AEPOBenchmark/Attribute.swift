/// A value an entity carries: a number (year, count, amount) or a label (occupation, industry).
public enum Attribute: String, Codable, CaseIterable, Sendable {
    case birthYear, occupation, population, foundedYear, employees, industry
    case releaseYear, budget, runtime, publicationYear, pages, students

    /// Whether the value is an integer (stored in `Entity.numbers`) rather than a label.
    public var isNumeric: Bool { self != .occupation && self != .industry }
}
