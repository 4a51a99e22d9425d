/// The kinds of things a generated world contains; every entity has exactly one.
public enum EntityKind: String, Codable, CaseIterable, Sendable, Comparable {
    case person, city, country, company, film, book, university

    public static func < (a: EntityKind, b: EntityKind) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// How a question names an entity of this kind: "the film X", "the city of X", or plain "X".
    func mention(_ name: String, variant: Int) -> String {
        switch (self, variant % 2) {
        case (.film, 0): return "the film \(name)"
        case (.book, 0): return "the book \(name)"
        case (.city, 0): return "the city of \(name)"
        default: return name
        }
    }
}
