/// One thing in a generated world: a person, city, company, film, …, with numeric attributes,
/// text labels and links to other entities (by index into `World.entities`).
public struct Entity: Codable, Equatable, Sendable {
    public var id: Int
    public var kind: EntityKind
    public var name: String
    /// Numeric attributes by `Attribute.rawValue` (years, populations, counts, budgets in millions).
    public var numbers: [String: Int]
    /// Text attributes by `Attribute.rawValue` (occupation, industry).
    public var labels: [String: String]
    /// Relations by `Relation.rawValue`: the id of the entity linked to.
    public var links: [String: Int]

    public init(id: Int, kind: EntityKind, name: String, numbers: [String: Int] = [:], labels: [String: String] = [:], links: [String: Int] = [:]) {
        self.id = id
        self.kind = kind
        self.name = name
        self.numbers = numbers
        self.labels = labels
        self.links = links
    }

    public subscript(number attribute: Attribute) -> Int? {
        get { numbers[attribute.rawValue] }
        set { numbers[attribute.rawValue] = newValue }
    }

    public subscript(label attribute: Attribute) -> String? {
        get { labels[attribute.rawValue] }
        set { labels[attribute.rawValue] = newValue }
    }

    public subscript(link relation: Relation) -> Int? {
        get { links[relation.rawValue] }
        set { links[relation.rawValue] = newValue }
    }
}
