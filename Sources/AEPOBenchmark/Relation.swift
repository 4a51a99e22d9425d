/// A link from one entity to another (the names a reader follows from page to page).
public enum Relation: String, Codable, CaseIterable, Sendable {
    case bornIn, studiedAt, country, located, founder, headquarters, director, studio, author, publisher, capital

    /// The kind of entity the relation starts from.
    public var source: EntityKind {
        switch self {
        case .bornIn, .studiedAt: return .person
        case .country: return .city
        case .located: return .university
        case .founder, .headquarters: return .company
        case .director, .studio: return .film
        case .author, .publisher: return .book
        case .capital: return .country
        }
    }

    /// The kind of entity the relation points to.
    public var target: EntityKind {
        switch self {
        case .bornIn, .located, .headquarters, .capital: return .city
        case .studiedAt: return .university
        case .country: return .country
        case .founder, .director, .author: return .person
        case .studio, .publisher: return .company
        }
    }
}
